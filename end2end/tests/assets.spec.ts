import { expect, test, type APIRequestContext } from "@playwright/test";
import { hydrated, watchErrors } from "./helpers";

// E2E_BUILD=release serves the production build (`make bench`): only it
// carries precompressed assets.
const release = process.env.E2E_BUILD === "release";
const forever = "public, max-age=31536000, immutable";

/** The JavaScript, wasm and CSS a first visit to `/` loads. */
async function firstLoadAssets(request: APIRequestContext): Promise<string[]> {
  const html = await (await request.get("/")).text();
  const linked = [...html.matchAll(/(?:href|src)="(\/pkg\/[^"]+)"/g)].map((m) => m[1]);
  const js = linked.find((p) => /\/berth\.[\w-]+\.js$/.test(p));
  expect(js, `a hashed berth.<hash>.js in ${linked.join(", ")}`).toBeTruthy();
  // The wasm is named in the hydration script, beside the JS.
  const wasm = html.match(/\/pkg\/berth\.[\w-]+\.wasm/)?.[0];
  expect(wasm, "a hashed berth.<hash>.wasm in the page").toBeTruthy();
  return [...new Set([...linked, wasm!])];
}

test("assets are named after their content and cached for a year; pages are revalidated", async ({ request }, info) => {
  test.skip(info.project.name !== "hydrated", "one run is enough: no browser involved");
  const page = await request.get("/");
  expect(page.headers()["cache-control"]).toContain("no-cache");
  const assets = await firstLoadAssets(request);
  expect(assets.some((a) => a.endsWith(".css"))).toBe(true);
  for (const asset of assets) {
    const response = await request.get(asset);
    expect(response.status(), asset).toBe(200);
    expect(response.headers()["cache-control"], asset).toBe(forever);
    expect(response.headers()["vary"] ?? "", asset).toContain("accept-encoding");
  }
});

test("the production build sends brotli to browsers that take it, gzip to the others", async ({ request }, info) => {
  test.skip(!release || info.project.name !== "hydrated", "precompressed assets come with the production build");
  const wasm = (await firstLoadAssets(request)).find((a) => a.endsWith(".wasm"))!;
  const plain = await request.get(wasm, { headers: { "accept-encoding": "identity" } });
  const body = await plain.body();
  // The wasm magic number: "\0asm".
  expect([...body.subarray(0, 4)]).toEqual([0, 0x61, 0x73, 0x6d]);
  for (const [offered, expected] of [["br, gzip", "br"], ["gzip", "gzip"]]) {
    const response = await request.get(wasm, { headers: { "accept-encoding": offered } });
    expect(response.headers()["content-encoding"], offered).toBe(expected);
    expect(response.headers()["cache-control"]).toBe(forever);
  }
});

test("a rarely visited page loads its own code when opened from the overview", async ({ page }, info) => {
  test.skip(info.project.name !== "hydrated", "code chunks only matter with JavaScript");
  const errors = watchErrors(page);
  const chunks: string[] = [];
  page.on("request", (r) => {
    if (/\/pkg\/.*\.wasm$/.test(new URL(r.url()).pathname)) chunks.push(new URL(r.url()).pathname);
  });
  await page.goto("/");
  await hydrated(page, info.project.name);
  const loadedForOverview = chunks.length;
  // A client-side navigation: the sandboxes page's code arrives only now,
  // and its search form works.
  await page.locator("header nav").getByRole("link", { name: "Sandboxes" }).click();
  await expect(page.locator("h1")).toHaveText("Sandboxes");
  expect(chunks.length).toBeGreaterThan(loadedForOverview);
  await page.locator('input[name="q"]').fill("kohbis");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/q=kohbis/);
  await expect(page.locator("tr.sandbox")).toHaveCount(1);
  expect(errors).toEqual([]);
});
