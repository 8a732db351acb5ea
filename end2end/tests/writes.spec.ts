import { expect, test } from "@playwright/test";
import { hydrated, signIn, watchErrors } from "./helpers";

// A real ed25519 public key (generated with ssh-keygen).
const KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICHkiJMaAu2E4lSfp/fEW37t2quCNbFlSEpQg6Hq1D/7 kohbis@laptop";

// Both projects run against one demo, so each uses its own names.
const suffix = (project: string) => (project === "hydrated" ? "h" : "n");

test("a person signs in, creates a sandbox, sees it, and deletes it", async ({ page }, info) => {
  const errors = watchErrors(page);
  const name = `e2e-box-${suffix(info.project.name)}`;
  await signIn(page, info.project.name, "kohbis", "/sandboxes/new");
  await expect(page).toHaveURL(/\/sandboxes\/new$/);

  await page.locator('input[name="name"]').fill(name);
  await page.locator('textarea[name="keys"]').fill(KEY);
  await page.getByRole("button", { name: "Preview" }).click();
  const preview = page.locator(".preview");
  await expect(preview.locator("pre.diff")).toContainText(`+++ b/sandboxes/${name}.yaml`);
  await expect(preview.locator("pre.diff")).toContainText("+owner: kohbis");
  await expect(preview.locator("pre.commit-message")).toContainText(`Create sandbox ${name} for kohbis`);
  await expect(preview.locator("pre.commit-message")).toContainText("Berth-Action: create-sandbox");

  await page.getByRole("button", { name: "Commit and create the sandbox" }).click();
  await expect(page).toHaveURL(new RegExp(`/sandboxes/${name}\\?created=[0-9a-f]{40}`));
  await expect(page.locator(".notice.committed")).toContainText("waiting for the cluster");
  await expect(page.locator(".owner")).toHaveText("kohbis");
  await expect(page.locator(".keys")).toContainText("SHA256:dCH7EbLNVqPyDJ3XrgaIMwdx7zuGFwRFOu8Y2Fm7OsQ");

  await page.goto("/sandboxes");
  await hydrated(page, info.project.name);
  await expect(page.locator(`tr.sandbox[data-sandbox="${name}"]`)).toBeVisible();

  await page.goto(`/sandboxes/${name}`);
  await hydrated(page, info.project.name);
  // The new sandbox's provisioning steps arrive live and redraw the page;
  // a click that lands during a redraw is lost, so it is made again.
  await expect(async () => {
    await page.getByRole("link", { name: "Delete this sandbox…" }).click();
    await expect(page).toHaveURL(new RegExp(`/sandboxes/${name}/delete$`), { timeout: 2_000 });
  }).toPass({ timeout: 15_000 });
  await expect(page.locator("pre.diff")).toContainText("+++ /dev/null");
  await page.locator('input[name="confirm"]').fill("not-the-name");
  await page.getByRole("button", { name: "Commit and delete" }).click();
  await expect(page.locator(".error-box")).toContainText(`type the sandbox name \`${name}\``);

  await page.locator('input[name="confirm"]').fill(name);
  await page.getByRole("button", { name: "Commit and delete" }).click();
  await expect(page).toHaveURL(new RegExp(`/sandboxes\\?deleted=${name}`));
  await expect(page.locator(".notice.committed")).toContainText(`Deleted the sandbox ${name}`);
  await expect(page.locator(`tr.sandbox[data-sandbox="${name}"]`)).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("qa previews and commits a promotion, and the grid changes", async ({ page }, info) => {
  const errors = watchErrors(page);
  const service = info.project.name === "hydrated" ? "auth" : "notifications";
  const branch = `spike-${service}`;
  await signIn(page, info.project.name, "qa", "/promote?env=stg-2");
  const input = page.locator(`input[name="svc.${service}"]`);
  await input.fill(branch);
  await page.getByRole("button", { name: "Preview", exact: true }).click();
  const diff = page.locator("pre.diff");
  await expect(diff).toContainText(`+${service}: "${branch}"`);
  // Exactly one line goes and one comes.
  await expect(diff.locator(".diff-add")).toHaveCount(1);
  await expect(diff.locator(".diff-del")).toHaveCount(1);
  await expect(page.locator("pre.commit-message")).toContainText(`Point stg-2 ${service} at ${branch}`);

  await page.getByRole("button", { name: "Commit and push" }).click();
  await expect(page).toHaveURL(/\/\?committed=[0-9a-f]{40}/);
  await expect(page.locator(".notice.committed")).toContainText("Committed");
  await expect(page.locator(`tr[data-service="${service}"] td[data-env="stg-2"]`)).toHaveAttribute("data-branch", branch);

  // Setting it again commits nothing and says so.
  await page.goto(`/promote?env=stg-2&svc.${service}=${branch}`);
  await hydrated(page, info.project.name);
  await expect(page.locator("table.promotion-rows")).toBeVisible();
  await expect(page.getByRole("button", { name: "Commit and push" })).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("grid shortcuts open a prefilled promotion preview", async ({ page }, info) => {
  const errors = watchErrors(page);
  await signIn(page, info.project.name, "qa", "/");
  const shortcut = page.locator('td[data-env="dev"] .cell-actions a', { hasText: "→ Stg-1" }).first();
  await shortcut.click();
  await expect(page).toHaveURL(/\/promote\?env=stg-1&svc\./);
  await expect(page.locator("pre.diff")).toContainText("+++ b/environments/stg-1.yaml");
  expect(errors).toEqual([]);
});

test("a developer may not change Stg and sees why", async ({ page }, info) => {
  const errors = watchErrors(page);
  await signIn(page, info.project.name, "dave", "/promote?env=stg-1&svc.auth=spike-auth");
  await expect(page.locator(".error-box")).toContainText("you may not change Stg-1");
  await expect(page.getByRole("button", { name: "Commit and push" })).toHaveCount(0);
  // No shortcut to Stg on the grid for a developer.
  await page.goto("/");
  await hydrated(page, info.project.name);
  await expect(page.locator(".cell-actions a", { hasText: "→ Stg" })).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("the audit log lists what was done, filterable", async ({ page }, info) => {
  const errors = watchErrors(page);
  // An entry of its own, so this test does not depend on the ones before it.
  const name = `e2e-audit-${suffix(info.project.name)}`;
  await signIn(page, info.project.name, "admin", "/sandboxes/new");
  await expect(page).toHaveURL(/\/sandboxes\/new$/);
  await page.locator('input[name="name"]').fill(name);
  await page.locator('textarea[name="keys"]').fill(KEY);
  await page.getByRole("button", { name: "Preview" }).click();
  await page.getByRole("button", { name: "Commit and create the sandbox" }).click();
  await expect(page).toHaveURL(new RegExp(`/sandboxes/${name}\\?created=[0-9a-f]{40}`));

  await page.goto("/audit?outcome=committed");
  await hydrated(page, info.project.name);
  const rows = page.locator("table.audit tbody tr");
  await expect(rows.first()).toContainText(`sandbox/${name}`);
  await expect(rows.first()).toContainText("admin");
  for (const row of await rows.all()) {
    await expect(row).toHaveAttribute("data-outcome", "committed");
  }
  expect(errors).toEqual([]);
});

test("an API token is shown once, listed, and revoked", async ({ page }, info) => {
  const errors = watchErrors(page);
  const label = `e2e-token-${suffix(info.project.name)}`;
  await signIn(page, info.project.name, "maria", "/tokens");
  await page.locator('input[name="label"]').fill(label);
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.locator(".fresh-token code.token")).toHaveText(/^berth_[0-9a-f]{64}$/);
  const row = page.locator("tr.token-row", { hasText: label });
  await expect(row).toHaveCount(1);

  await page.goto("/tokens");
  await hydrated(page, info.project.name);
  await expect(page.locator(".fresh-token")).toHaveCount(0);
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(page.locator("tr.token-row", { hasText: label })).toHaveCount(0);
  expect(errors).toEqual([]);
});
