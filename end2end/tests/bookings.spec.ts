import { expect, test } from "@playwright/test";
import { hydrated, signIn, watchErrors } from "./helpers";

// `YYYY-MM-DD`, `days` from today (UTC, as the demo's time zone).
const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

test("qa books Stg-2 for a project, sees it on the calendar, and cancels it", async ({ page }, info) => {
  const errors = watchErrors(page);
  // The two runs share one demo: each books days of its own.
  const offset = info.project.name === "hydrated" ? 40 : 50;
  const project = `photo-books-${info.project.name}`;
  await signIn(page, info.project.name, "qa", "/bookings");
  const form = page.locator("form.booking-form");
  await form.locator('select[name="environment"]').selectOption("stg-2");
  await form.locator('input[name="project"]').fill(project);
  await form.locator('textarea[name="pairs"]').fill("photo-api=spike-photo-api\nweb-app=spike-web-app");
  await form.locator('input[name="first_day"]').fill(day(offset));
  await form.locator('input[name="last_day"]').fill(day(offset + 2));
  await form.getByRole("button", { name: "Book" }).click();
  await expect(page).toHaveURL(/\/bookings\?booked=\d+/);
  const row = page.locator("tr.booking", { hasText: project });
  await expect(row).toContainText(`${day(offset)} – ${day(offset + 2)}`);
  await expect(row.getByRole("link", { name: "Promote the project" })).toHaveAttribute(
    "href",
    "/promote?env=stg-2&svc.photo-api=spike-photo-api&svc.web-app=spike-web-app",
  );

  // The same days again are refused with who has them.
  await form.locator('select[name="environment"]').selectOption("stg-2");
  await form.locator('input[name="project"]').fill("albums");
  await form.locator('textarea[name="pairs"]').fill("photo-api=main");
  await form.locator('input[name="first_day"]').fill(day(offset + 1));
  await form.locator('input[name="last_day"]').fill(day(offset + 1));
  await form.getByRole("button", { name: "Book" }).click();
  await expect(page.locator(".error-box")).toContainText(`stg-2 is booked by qa for ${project}`);

  await page.goto("/bookings");
  await hydrated(page, info.project.name);
  await page.locator("tr.booking", { hasText: project }).getByRole("button", { name: "Cancel" }).click();
  await expect(page).toHaveURL(/\/bookings\?cancelled=\d+/);
  await expect(page.locator("tr.booking", { hasText: project })).toHaveCount(0);
  expect(errors).toEqual([]);
});
