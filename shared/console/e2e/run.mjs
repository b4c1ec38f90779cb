// Browser test of the operator console in headless Chromium.
//
//   node shared/console/e2e/run.mjs BASE_URL TOKEN ARTIFACTS_DIR
//
// Logs in, submits a demo lead through the public form route, finds it in
// the leads list, opens it, checks its reasons and owner, marks it
// contacted and sees the SLA timer stop, then visits every page; a
// screenshot of each page lands in ARTIFACTS_DIR. Exits non-zero on the
// first failed check. Started by the Go test TestBrowser (browser_test.go).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const [base, token, artifacts] = process.argv.slice(2);
if (!base || !token || !artifacts) {
  console.error("usage: node run.mjs BASE_URL TOKEN ARTIFACTS_DIR");
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"],
});
let passed = 0;
let failed = 0;

async function step(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}: ${err.message.split("\n")[0]} (at ${page.url()}; see failure.png)`);
    await page.screenshot({ path: join(artifacts, "failure.png"), fullPage: true }).catch(() => {});
    throw err;
  }
}

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const urls = [];
page.on("request", (req) => urls.push(req.url()));
const shot = (name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
const email = `dana.e2e.${Date.now()}@northwind-analytics.com`;

try {
  await step("login page, wrong token refused", async () => {
    await page.goto(`${base}/`);
    expect(page.url().endsWith("/console/login"), `/ should land on the login, got ${page.url()}`);
    await shot("01-login");
    await page.getByLabel("Token").fill("not-the-token");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByText("That token is not valid.").waitFor();
  });

  await step("log in", async () => {
    await page.getByLabel("Token").fill(token);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/console\/leads/);
    await page.getByRole("heading", { level: 1, name: "Leads" }).waitFor();
  });

  let leadId;
  await step("submit a demo lead through the public form route", async () => {
    const resp = await page.request.post(`${base}/v1/forms/demo-request`, {
      form: {
        email, first_name: "Dana", last_name: "Whitfield", title: "VP of Sales",
        company: "Northwind Analytics", employees: "500", industry: "software", country: "US", state: "NY", consent: "yes",
      },
    });
    expect(resp.status() === 202, `form answered ${resp.status()}`);
    leadId = (await resp.json()).lead_id;
    expect(leadId, "no lead id");
  });

  await step("find it in the leads list", async () => {
    // The pipeline works asynchronously: search until the lead is routed.
    for (let i = 0; i < 50; i++) {
      await page.goto(`${base}/console/leads`);
      await page.getByLabel("Search by email or company").fill(email);
      await Promise.all([page.waitForURL(/[?&]s=/), page.getByRole("button", { name: "Search" }).click()]);
      const row = page.locator("#leads tbody tr", { hasText: email });
      if (await row.count() === 1 && (await row.locator(".stage").textContent()) === "sql") break;
      await page.waitForTimeout(200);
    }
    const row = page.locator("#leads tbody tr", { hasText: email });
    expect(await row.count() === 1, "the lead is not listed");
    expect(!page.url().includes("northwind") && !page.url().includes("dana"), `PII in the URL ${page.url()}`);
    await shot("02-leads-search");
  });

  await step("open it: reasons and owner", async () => {
    await page.locator("#leads tbody tr", { hasText: email }).getByRole("link").click();
    await page.waitForURL(new RegExp(`/console/leads/${leadId}$`));
    const reasons = await page.locator("#reasons").textContent();
    for (const code of ["demo_request", "icp_title", "icp_headcount"]) {
      expect(reasons.includes(code), `reason ${code} missing`);
    }
    const owner = (await page.locator("#lead-owner").textContent()).trim();
    expect(owner && !owner.startsWith("none"), `no owner: ${owner}`);
    expect((await page.locator("#sla-state").textContent()).startsWith("running"), "SLA clock not running");
    expect((await page.locator("#sla-timers").textContent()).includes("sla timer fires"), "no pending SLA timer listed");
    await shot("03-lead");
  });

  await step("mark contacted: the SLA timer stops", async () => {
    await page.getByRole("button", { name: "Mark contacted" }).click();
    await page.getByRole("status").filter({ hasText: "Marked contacted" }).waitFor();
    expect((await page.locator("#sla-state").textContent()).startsWith("stopped"), "SLA clock still running");
    expect((await page.locator("#sla-timers").textContent()).includes("No SLA timer is running."), "SLA timer still pending");
    expect(await page.getByRole("button", { name: "Mark contacted" }).isDisabled(), "button still enabled");
    await shot("04-lead-contacted");
  });

  await step("leads list, filtered and sorted", async () => {
    await page.goto(`${base}/console/leads`);
    await page.getByLabel("Stage").selectOption("sql");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/stage=sql/);
    await page.getByRole("link", { name: /^Company/ }).click();
    await page.waitForURL(/sort=company/);
    await shot("05-leads");
  });

  const pages = [
    ["06-queues", "/console/queues", "Owner queues"],
    ["07-fairness", "/console/fairness?window=7d", "Routing fairness"],
    ["08-funnel", "/console/funnel", "Funnel"],
    ["09-audit", "/console/audit", "Audit"],
    ["10-dead-letters", "/console/dlq", "Dead letters"],
    ["11-config", "/console/config", "Config"],
  ];
  for (const [name, path, heading] of pages) {
    await step(`page ${path}`, async () => {
      const resp = await page.goto(`${base}${path}`);
      expect(resp.status() === 200, `status ${resp.status()}`);
      await page.getByRole("heading", { level: 1, name: heading }).waitFor();
      await shot(name);
    });
  }

  await step("keyboard: the skip link leads to the content", async () => {
    await page.goto(`${base}/console/funnel`);
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => document.activeElement.textContent);
    expect(focused === "Skip to content", `first tab stop is ${focused}`);
  });

  await step("no token or personal data in any URL", async () => {
    const bad = urls.filter((u) => u.includes(token) || u.includes("northwind") || u.includes("dana"));
    expect(bad.length === 0, `URLs carry secrets or PII: ${bad.join(", ")}`);
  });
} catch {
  // Reported by step; the summary below sets the exit code.
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
