import { expect, type Page } from "@playwright/test";

// Console errors and uncaught exceptions fail the test that caused them.
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (msg) => {
    // A refused form answers 4xx on purpose; the page shows why. Anything
    // else logged as an error, including a 500, fails the test.
    const refusal = /Failed to load resource: the server responded with a status of 4\d\d/;
    if (msg.type() === "error" && !refusal.test(msg.text())) errors.push(msg.text());
  });
  page.on("pageerror", (err) => errors.push(String(err)));
  return errors;
}

export async function hydrated(page: Page, projectName: string) {
  if (projectName === "hydrated") {
    // The app marks the body once the wasm module has hydrated the page.
    await page.locator("body[data-hydrated]").waitFor({ state: "attached" });
  }
}

/** Signs in at /login (local mode) and lands on `next`. */
export async function signIn(page: Page, projectName: string, user: string, next = "/") {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await hydrated(page, projectName);
  await page.locator('input[name="user"]').fill(user);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(`header .who[data-user="${user}"]`)).toBeVisible();
}

/** Hydrated: waits up to `wait` ms for the page to follow a change by
 * itself. Without JavaScript a page never changes by itself: look, then
 * reload, as a person would. */
export async function eventually(
  page: Page,
  project: string,
  wait: number,
  check: (timeout: number) => Promise<void>,
) {
  if (project === "hydrated") {
    await check(wait);
    return;
  }
  await expect(async () => {
    await page.reload();
    await check(500);
  }).toPass({ timeout: wait + 5_000, intervals: [1_000] });
}
