import { expect, test } from "@playwright/test";
import { hydrated, signIn, watchErrors } from "./helpers";

// Each project claims a service of its own in Dev: the two runs share
// one demo.
const serviceFor = (project: string) => (project === "hydrated" ? "web-app" : "upload-worker");

test("a claim on Dev is seen by a second person, who must confirm to go over it", async ({ browser, page }, info) => {
  const errors = watchErrors(page);
  const service = serviceFor(info.project.name);
  const purpose = `testing checkout ${info.project.name}`;
  await signIn(page, info.project.name, "kohbis", "/locks");
  const form = page.locator("form.claim-form");
  await form.locator('input[name="services"]').fill(service);
  await form.locator('input[name="purpose"]').fill(purpose);
  await form.getByRole("button", { name: "Claim" }).click();
  await expect(page).toHaveURL(/\/locks\?claimed=\d+/);
  await expect(page.locator('section.env-holds[data-env="dev"] .hold.claim', { hasText: purpose })).toContainText(
    "Claimed by kohbis",
  );

  // A second person, in a browser of their own, sees it on the lane and
  // the cell, and is asked to confirm before changing it.
  const other = await browser.newContext({ javaScriptEnabled: info.project.name === "hydrated" });
  const maria = await other.newPage();
  const mariaErrors = watchErrors(maria);
  await signIn(maria, info.project.name, "maria", "/");
  await expect(maria.locator('section.lane[data-env="dev"] .hold.claim', { hasText: purpose })).toBeVisible();
  await expect(maria.locator(`tr[data-service="${service}"] td[data-env="dev"] .cell-held`)).toContainText(
    `claimed by kohbis: ${purpose}`,
  );
  const branch = `spike-${service}`;
  await maria.goto(`/promote?env=dev&svc.${service}=${branch}`);
  await hydrated(maria, info.project.name);
  await expect(maria.locator(".hold-warning.claimed")).toContainText(`${service} in dev is claimed by kohbis`);
  await maria.locator('input[name="override_claims"]').check();
  await maria.getByRole("button", { name: "Commit and push" }).click();
  await expect(maria).toHaveURL(/\/\?committed=[0-9a-f]{40}/);
  await expect(maria.locator(`tr[data-service="${service}"] td[data-env="dev"]`)).toHaveAttribute("data-branch", branch);

  // The holder ends the claim.
  await page.goto("/locks");
  await hydrated(page, info.project.name);
  await page.locator('section.env-holds[data-env="dev"]').getByRole("button", { name: "End kohbis's claim", exact: true }).click();
  await expect(page).toHaveURL(/\/locks\?ended=\d+/);
  await expect(page.locator('section.env-holds[data-env="dev"] .hold.claim', { hasText: purpose })).toHaveCount(0);
  await other.close();
  expect(errors).toEqual([]);
  expect(mariaErrors).toEqual([]);
});
