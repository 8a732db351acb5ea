import { expect, test } from "@playwright/test";
import { hydrated, signIn, watchErrors } from "./helpers";

test("the overview shows every lane, the demo notice and where each service runs", async ({ page }, info) => {
  const errors = watchErrors(page);
  await page.goto("/");
  await hydrated(page, info.project.name);
  await expect(page.locator(".banner")).toContainText("Demo data");
  for (const lane of ["prod", "stg-1", "stg-2", "dev", "sandboxes"]) {
    await expect(page.locator(`.lane[data-env="${lane}"]`)).toBeVisible();
  }
  await expect(page.locator(".as-of").first()).toContainText(/as of commit [0-9a-f]{7}, \d+ (s|min) ago/);
  const rows = page.locator("table.grid tbody tr");
  expect(await rows.count()).toBeGreaterThanOrEqual(8);
  // Prod runs each service's default branch.
  await expect(page.locator('tr[data-service="upload-worker"] td[data-env="prod"]')).toHaveAttribute("data-branch", "master");
  expect(errors).toEqual([]);
});

test("filters narrow the grid by service and by branch text", async ({ page }, info) => {
  const errors = watchErrors(page);
  await page.goto("/");
  await hydrated(page, info.project.name);
  await page.locator('select[name="service"]').selectOption("photo-api");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/service=photo-api/);
  await expect(page.locator("table.grid tbody tr")).toHaveCount(1);
  await expect(page.locator("table.grid tbody tr")).toHaveAttribute("data-service", "photo-api");

  await page.goto("/?branch=no-such-branch-anywhere");
  await hydrated(page, info.project.name);
  await expect(page.locator(".empty")).toContainText("No service matches");

  await page.goto("/");
  await hydrated(page, info.project.name);
  await page.locator('input[name="branch"]').fill("feature");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/branch=feature/);
  const services = await page.locator("table.grid tbody tr").count();
  expect(services).toBeGreaterThan(0);
  for (const row of await page.locator("table.grid tbody tr").all()) {
    await expect(row.locator("td[data-branch*='feature']").first()).toBeVisible();
  }
  expect(errors).toEqual([]);
});

test("picking a branch highlights every cell that runs it", async ({ page }, info) => {
  const errors = watchErrors(page);
  await page.goto("/");
  await hydrated(page, info.project.name);
  await page.evaluate(() => ((window as any).__same_document = true));
  // A branch that is not a default one, so it shows up in few cells.
  const cell = page.locator("td.cell:not(.default)[data-branch]").first();
  const branch = await cell.getAttribute("data-branch");
  expect(branch).toBeTruthy();
  await cell.locator("a.branch").click();
  await expect(page).toHaveURL(/highlight=/);
  const lit = page.locator("td.cell.highlight");
  await expect(lit.first()).toBeVisible();
  const expected = await page.locator(`td.cell[data-branch="${branch}"]`).count();
  await expect(lit).toHaveCount(expected);
  for (const c of await lit.all()) {
    await expect(c).toHaveAttribute("data-branch", branch!);
  }
  const sameDocument = await page.evaluate(() => (window as any).__same_document === true);
  // Hydrated, the highlight is a client-side navigation; without JS, a reload.
  expect(sameDocument).toBe(info.project.name === "hydrated");
  expect(errors).toEqual([]);
});

test("an environment page lists its mapping and who changed it", async ({ page }, info) => {
  await page.goto("/");
  await hydrated(page, info.project.name);
  await page.locator('.lane[data-env="dev"] h3 a').click();
  await expect(page).toHaveURL(/\/env\/dev$/);
  await expect(page.locator("h1")).toHaveText("Dev");
  expect(await page.locator("table.mapping tbody tr").count()).toBeGreaterThanOrEqual(8);
  const history = page.locator("li.history-entry");
  expect(await history.count()).toBeGreaterThan(5);
  await expect(history.first()).toContainText(/→|added|removed/);
});

test("sandboxes can be searched and show fingerprints and the SSH command", async ({ page }, info) => {
  const errors = watchErrors(page);
  await page.goto("/sandboxes");
  await hydrated(page, info.project.name);
  expect(await page.locator("tr.sandbox").count()).toBeGreaterThanOrEqual(12);
  // Right after a lazy page hydrates, its inputs can be drawn once more
  // and lose what was typed (seen about once in twenty runs): type again.
  await expect(async () => {
    await page.locator('input[name="q"]').fill("kohbis");
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(/q=kohbis/, { timeout: 2_000 });
  }).toPass({ timeout: 15_000 });
  await expect(page.locator("tr.sandbox")).toHaveCount(1);
  await page.locator('tr.sandbox a[href="/sandboxes/kohbis"]').click();
  await expect(page.locator("h1")).toContainText("kohbis");
  await expect(page.locator("code.fingerprint").first()).toHaveText(/^256 SHA256:[A-Za-z0-9+/]{43} kohbis@laptop \(ED25519\)$/);
  await expect(page.locator("code.ssh")).toHaveText("ssh kohbis@kohbis.sandbox.photos.example");
  expect(errors).toEqual([]);
});

test("the refresh button reloads the data, with or without JavaScript", async ({ page }, info) => {
  const errors = watchErrors(page);
  await page.goto("/");
  await hydrated(page, info.project.name);
  // Fetching the repositories on demand is for signed-in people only.
  await expect(page.getByRole("button", { name: "Refresh" })).toHaveCount(0);
  await signIn(page, info.project.name, "ann");
  await page.getByRole("button", { name: "Refresh" }).click();
  await expect(page).toHaveURL(/\/\??$/);
  await expect(page.locator(".as-of").first()).toContainText(/as of commit [0-9a-f]{7}, \d+ s ago/);
  await expect(page.getByRole("button", { name: "Refresh" })).toBeEnabled();
  expect(errors).toEqual([]);
});

test("an unknown sandbox says so plainly", async ({ page }) => {
  const response = await page.goto("/sandboxes/nobody-here");
  expect(response?.status()).toBe(404);
  await expect(page.locator(".error-box")).toContainText("no sandbox named `nobody-here`");
});
