import { expect, test } from "@playwright/test";
import { hydrated, signIn, watchErrors } from "./helpers";

// Each project locks a service of its own in Stg-2, so the two runs
// against the one demo do not hold each other up.
const serviceFor = (project: string) => (project === "hydrated" ? "thumbnailer" : "print-orders");

test("qa locks a service, a promotion is refused with the reason, an admin breaks the glass", async ({ browser, page }, info) => {
  const errors = watchErrors(page);
  const service = serviceFor(info.project.name);
  const reason = `release tests ${info.project.name}`;
  const hotfix = `hotfix for incident 4711 (${info.project.name})`;
  await signIn(page, info.project.name, "qa", "/locks");
  const form = page.locator("form.lock-form");
  await form.locator('select[name="environment"]').selectOption("stg-2");
  await form.locator('input[name="service"]').fill(service);
  await form.locator('input[name="reason"]').fill(reason);
  await form.getByRole("button", { name: "Lock" }).click();
  await expect(page).toHaveURL(/\/locks\?locked=\d+/);
  const lane = page.locator('section.env-holds[data-env="stg-2"]');
  await expect(lane.locator(".hold.lock", { hasText: reason })).toContainText(`${service} locked`);

  // The overview's lane and cell say it to everyone.
  await page.goto("/");
  await hydrated(page, info.project.name);
  await expect(page.locator('section.lane[data-env="stg-2"] .hold.lock', { hasText: reason })).toBeVisible();
  const cell = page.locator(`tr[data-service="${service}"] td[data-env="stg-2"]`);
  await expect(cell.locator(".cell-held")).toContainText(`locked by qa: ${reason}`);

  // qa tries anyway: refused, the reason named, nothing committed.
  const branch = `spike-${service}`;
  await page.goto(`/promote?env=stg-2&svc.${service}=${branch}`);
  await hydrated(page, info.project.name);
  await expect(page.locator(".hold-warning")).toBeVisible();
  await page.getByRole("button", { name: "Commit and push" }).click();
  await expect(page.locator(".error-box")).toContainText(`${service} in stg-2 is locked by qa`);
  await expect(page.locator(".error-box")).toContainText(reason);

  // An admin, in a browser of their own, breaks the glass with a reason.
  const admin = await browser.newContext({ javaScriptEnabled: info.project.name === "hydrated" });
  const adminPage = await admin.newPage();
  const adminErrors = watchErrors(adminPage);
  await signIn(adminPage, info.project.name, "admin", `/promote?env=stg-2&svc.${service}=${branch}`);
  await adminPage.locator('input[name="break_glass"]').fill(hotfix);
  await adminPage.getByRole("button", { name: "Break the glass and commit" }).click();
  await expect(adminPage).toHaveURL(/\/\?committed=[0-9a-f]{40}/);
  await expect(adminPage.locator(`tr[data-service="${service}"] td[data-env="stg-2"]`)).toHaveAttribute("data-branch", branch);
  await expect(adminPage.locator('section.lane[data-env="stg-2"] .hold.glass', { hasText: hotfix })).toContainText("Glass broken by admin");

  // qa lifts the lock; the lane is free of it.
  await page.goto("/locks");
  await hydrated(page, info.project.name);
  const stg2 = page.locator('section.env-holds[data-env="stg-2"]');
  await stg2.getByRole("button", { name: `Lift the lock on ${service}` }).click();
  await expect(page).toHaveURL(/\/locks\?lifted=\d+/);
  await expect(page.locator('section.env-holds[data-env="stg-2"] .hold.lock', { hasText: reason })).toHaveCount(0);
  await admin.close();
  expect(errors).toEqual([]);
  expect(adminErrors).toEqual([]);
});
