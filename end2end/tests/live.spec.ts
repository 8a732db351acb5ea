import { expect, test, type Page } from "@playwright/test";
import { eventually, hydrated, signIn, watchErrors } from "./helpers";

// Live state comes from the demo's simulated clusters. Hydrated, the page
// follows changes without a reload; without JavaScript, a reload shows the
// same states.

const KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICHkiJMaAu2E4lSfp/fEW37t2quCNbFlSEpQg6Hq1D/7 kohbis@laptop";

/** Marks the document, so a later check can tell it was never reloaded. */
async function mark(page: Page) {
  await page.evaluate(() => ((window as unknown as { berthMark: number }).berthMark = 1));
}

async function stillMarked(page: Page) {
  const marked = await page.evaluate(() => (window as unknown as { berthMark?: number }).berthMark);
  expect(marked, "the page was not reloaded").toBe(1);
}

test("the overview shows each cluster and each cell's live state", async ({ page }, info) => {
  const errors = watchErrors(page);
  await page.goto("/");
  await hydrated(page, info.project.name);
  await expect(page.locator('.cluster[data-cluster="nonprod"]')).toContainText("nonprod cluster live");
  await expect(page.locator('.cluster[data-cluster="prod"]')).toContainText("prod cluster live");
  // The demo's standing fault: one Stg service crash-loops, in words.
  const problem = page.locator('td.cell .live[data-live="problem"]').first();
  await expect(problem).toContainText("CrashLoopBackOff");
  await expect(page.locator(".lane-stg .live-problems").first()).toContainText("live problem");
  await page.locator('input[name="problems"]').check();
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/problems=1/);
  const rows = page.locator("table.grid tbody tr");
  await expect(rows.first()).toBeVisible();
  for (const row of await rows.all()) {
    await expect(row.locator('.live[data-live="problem"]').first()).toBeVisible();
  }
  if (info.project.name === "hydrated") {
    await expect(page.locator('.live-indicator[data-connected="true"]')).toHaveText("● live");
  }
  expect(errors).toEqual([]);
});

test("a promoted spike crash-loops and its cell turns red", async ({ page }, info) => {
  const errors = watchErrors(page);
  const service = info.project.name === "hydrated" ? "search" : "billing";
  const branch = `spike-${service}`;
  await signIn(page, info.project.name, "qa", `/promote?env=stg-1&svc.${service}=${branch}`);
  await page.getByRole("button", { name: "Commit and push" }).click();
  await expect(page).toHaveURL(/\/\?committed=[0-9a-f]{40}/);
  await hydrated(page, info.project.name);
  const cell = page.locator(`tr[data-service="${service}"] td[data-env="stg-1"]`);
  await expect(cell).toHaveAttribute("data-branch", branch);
  if (info.project.name === "hydrated") await mark(page);
  await eventually(page, info.project.name, 20_000, async (timeout) => {
    await expect(cell.locator(".live")).toHaveAttribute("data-live", "problem", { timeout });
    await expect(cell.locator(".live .drift")).toContainText("CrashLoopBackOff", { timeout });
  });
  await expect(cell.locator(".live .live-images")).toContainText(`${branch}-`);
  if (info.project.name === "hydrated") await stillMarked(page);
  expect(errors).toEqual([]);
});

test("a new sandbox is followed to ready", async ({ page }, info) => {
  const errors = watchErrors(page);
  const name = `e2e-live-${info.project.name === "hydrated" ? "h" : "n"}`;
  await signIn(page, info.project.name, "kohbis", "/sandboxes/new");
  await page.locator('input[name="name"]').fill(name);
  await page.locator('textarea[name="keys"]').fill(KEY);
  await page.getByRole("button", { name: "Preview" }).click();
  await page.getByRole("button", { name: "Commit and create the sandbox" }).click();
  await expect(page).toHaveURL(new RegExp(`/sandboxes/${name}\\?created=`));
  await hydrated(page, info.project.name);
  if (info.project.name === "hydrated") await mark(page);
  const chain = page.locator(".chain");
  await eventually(page, info.project.name, 20_000, async (timeout) => {
    await expect(chain).toHaveAttribute("data-ready", "true", { timeout });
  });
  await expect(chain.locator(".step")).toHaveText([
    /File committed/,
    /Application generated/,
    /Synced/,
    /Pod ready/,
    new RegExp(`Ingress host set.*${name}\\.sandbox\\.photos\\.example`),
  ]);
  if (info.project.name === "hydrated") await stillMarked(page);

  // The list says so too; then the sandbox goes again.
  await page.goto(`/sandboxes?q=${name}`);
  await expect(page.locator(`tr.sandbox[data-sandbox="${name}"] .live`)).toHaveText("ready");
  await page.goto(`/sandboxes/${name}/delete`);
  await hydrated(page, info.project.name);
  await page.locator('input[name="confirm"]').fill(name);
  await page.getByRole("button", { name: "Commit and delete" }).click();
  await expect(page).toHaveURL(new RegExp(`/sandboxes\\?deleted=${name}`));
  expect(errors).toEqual([]);
});
