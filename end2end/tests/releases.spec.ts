import { execFileSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import { eventually, hydrated, watchErrors } from "./helpers";

// Release history comes from what the demo's prod Argo CD remembers (about
// 60 days); new releases from the demo's CI, which turns commits in the
// demo's source repositories into signed webhook deliveries.

const SOURCES = "../target/e2e-data/demo/sources";

// A commit's way to prod (CI build, deploy, Argo CD's sync) takes 10-30 s.
test.describe.configure({ timeout: 120_000 });

/** A developer's commit on `service`'s default branch, as `git push` would leave it. */
function commit(service: string, branch: string, subject: string): string {
  const repo = `${SOURCES}/${service}.git`;
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", repo, ...args], {
      encoding: "utf8",
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "Test Person",
        GIT_AUTHOR_EMAIL: "test@photos.example",
        GIT_COMMITTER_NAME: "Test Person",
        GIT_COMMITTER_EMAIL: "test@photos.example",
      },
    }).trim();
  const parent = git("rev-parse", `refs/heads/${branch}`);
  const sha = git("commit-tree", `${parent}^{tree}`, "-p", parent, "-m", subject);
  git("update-ref", `refs/heads/${branch}`, sha, parent);
  return sha;
}

test("release charts show about two months of prod deploys", async ({ page }, info) => {
  const errors = watchErrors(page);
  await page.goto("/releases");
  await hydrated(page, info.project.name);
  // A first start reads the history from the prod cluster in the background.
  await eventually(page, info.project.name, 60_000, async (timeout) => {
    await expect(page.locator(".history-loading")).toHaveCount(0, { timeout });
  });
  const perDay = page.locator('[data-figure="deploys-per-day"] .figure');
  await expect(perDay).toHaveText(/^\d+\.\d \/ day$/);
  const rate = Number((await perDay.textContent())!.split(" ")[0]);
  expect(rate).toBeGreaterThan(2);
  // The demo's one rollback: a failed deploy, and the time to restore it.
  await expect(page.locator('[data-figure="change-failure-rate"] .muted')).toContainText("1 failed");
  await expect(page.locator('[data-figure="time-to-restore"] .figure')).toContainText("median");
  await expect(page.locator('[data-figure="lead-time"] .figure')).toContainText("median");
  const days = page.locator("svg g.day");
  await expect(days).toHaveCount(30);
  // Without JavaScript each day's numbers are its tooltip.
  await expect(days.nth(20).locator("title")).toContainText("deploy");
  await page.getByRole("link", { name: "90 days" }).click();
  await expect(days).toHaveCount(90);
  if (info.project.name === "hydrated") {
    const busiest = page.locator('svg g.day:not([data-total="0"])').last();
    await busiest.hover();
    await expect(page.locator(".chart-detail")).toContainText("deploy");
    await expect(page.locator(".chart-detail")).toContainText("7-day average");
    // From the keyboard: End is the last day shown (today), Home the first.
    const chart = page.locator("figure.release-chart svg");
    await chart.focus();
    await page.keyboard.press("End");
    const today = await days.last().getAttribute("data-day");
    await expect(page.locator(".chart-detail")).toContainText(today!);
    await page.keyboard.press("Home");
    const first = await days.first().getAttribute("data-day");
    await expect(page.locator(".chart-detail")).toContainText(first!);
  }
  // One service only.
  await page.locator('select[name="service"]').selectOption("photo-api");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/service=photo-api/);
  await expect(page.locator(".legend li")).toHaveCount(2);
  expect(errors).toEqual([]);
});

test("a commit to a default branch is built and deployed to prod", async ({ page }, info) => {
  const errors = watchErrors(page);
  await page.goto("/prod");
  await hydrated(page, info.project.name);
  const section = page.locator('section.pipeline[data-service="photo-api"]');
  await expect(section.locator(".live-now")).toContainText("Live now");
  await expect(section.locator("tr.stage-deployed").first()).toBeVisible();
  const sha = commit("photo-api", "main", `Ship it (${info.project.name})`);
  const row = section.locator(`tr[data-sha="${sha}"]`);
  await eventually(page, info.project.name, 45_000, async (timeout) => {
    await expect(row).toBeVisible({ timeout });
  });
  await eventually(page, info.project.name, 45_000, async (timeout) => {
    await expect(row.locator(".stage")).toHaveText("deployed", { timeout });
  });
  await expect(section.locator(".live-now")).toContainText(sha.slice(0, 7));
  expect(errors).toEqual([]);
});

test("a build that fails releases nothing", async ({ page }, info) => {
  const errors = watchErrors(page);
  await page.goto("/prod");
  await hydrated(page, info.project.name);
  const section = page.locator('section.pipeline[data-service="web-app"]');
  const liveTag = section.locator(".live-now > code");
  const live = await liveTag.textContent();
  const sha = commit("web-app", "main", "Flaky: rework the upload test");
  const row = section.locator(`tr[data-sha="${sha}"]`);
  await eventually(page, info.project.name, 45_000, async (timeout) => {
    await expect(row.locator(".stage")).toHaveText("build failed", { timeout });
  });
  await expect(liveTag).toHaveText(live!);
  expect(errors).toEqual([]);
});
