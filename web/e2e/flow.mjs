// The web UI's end-to-end flow, in headless Chromium, against a platform started as
// ./scripts/dev starts it (with the media runner): register, upload images, see a thumbnail
// appear after processing, open the file and see its EXIF, share it with a password and
// download it through the share page, watch the queues and retry a dead job; the storage and
// users pages too. With --llm (the local chat model's OpenAI-compatible URL) the AI page: a
// provider, a streamed playground answer, usage and ledger. With --embed (the local embedding
// model's URL) the knowledge page: a provider for it, a base, a text document that turns
// `ready` by itself, and a search whose hit marks the query's words. With --llm too, the agents
// pages: an agent on that chat model, a run followed live to its answer, the fleet counting it.
// Every page is checked for unlabelled controls, and screenshotted.
//
// node web/e2e/flow.mjs --base http://127.0.0.1:PORT --out DIR --samples MEDIA_SAMPLES_DIR \
//   [--llm http://127.0.0.1:PORT/v1] [--embed http://127.0.0.1:PORT/v1]
// (PN_PLAYWRIGHT_DIR and PN_CHROMIUM come from scripts/lib/browser.sh.)

import { createRequire } from "node:module";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith("--") ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
for (const need of ["base", "out", "samples"]) {
  if (!args[need]) throw new Error(`--${need} is required`);
}
const require = createRequire(`${process.env.PN_PLAYWRIGHT_DIR}/`);
const { chromium } = require("playwright-core");

const base = args.base.replace(/\/$/, "");
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
const photo = path.join(args.samples, "jpg/Canon_40D.jpg");
const second = path.join(args.samples, "jpg/gps/DSCN0010.jpg");
const broken = path.join(args.samples, "jpg/corrupted.jpg");
const consoleErrors = [];
let step = "start";
// A page stuck in a busy loop never answers Playwright (evaluate has no timeout): end the run.
const watchdog = setTimeout(() => {
  console.error(`web e2e FAILED: no progress for 10 minutes (last step "${step}")`);
  process.exit(1);
}, 10 * 60_000);

const browser = await chromium.launch({
  executablePath: process.env.PN_CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

async function newPage(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  // The browser logs every 4xx it fetched as an error; the flow causes some on purpose (a wrong
  // password): only the app's own errors (panics, exceptions) count.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) consoleErrors.push(`${step}: ${m.text()}`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`${step}: ${e.message}`));
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(args.out, `${name}.png`), fullPage: true });
}

// Every visible control has an accessible name: a <label>, aria-label(ledby), or text.
async function checkLabels(page, name) {
  const unlabelled = await page.locator("input, select, textarea, button, a[href]").evaluateAll((els) =>
    els
      .filter((el) => el.getClientRects().length > 0 || el.type === "file")
      .filter((el) => {
        const aria = el.getAttribute("aria-label") || el.getAttribute("aria-labelledby") || el.title;
        if (aria) return false;
        if (["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName)) return !(el.labels && el.labels.length);
        return !el.textContent.trim();
      })
      .map((el) => el.outerHTML.slice(0, 120)),
  );
  if (unlabelled.length) throw new Error(`${name}: controls without a label: ${unlabelled.join(" | ")}`);
}

async function page_(page, name) {
  step = name;

  await checkLabels(page, name);
  await shot(page, name);
}

async function expectNotice(page, text) {
  await page.locator(".notices .notice", { hasText: text }).first().waitFor();
}

// Polls LOCATOR's ATTR until ok(value) holds (the page's default timeout, 20 s), resolving the
// locator afresh each time.
async function waitForAttribute(locator, attr, ok, timeout = 20_000) {
  const until = Date.now() + timeout;
  let last = null;
  while (Date.now() < until) {
    last = await locator.getAttribute(attr, { timeout: until - Date.now() }).catch(() => null);
    if (last !== null && ok(last)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${attr} never passed its check within ${timeout} ms (last: ${last})`);
}

const email = `e2e-${Date.now()}@example.com`;
const password = "e2e password 123";
const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
const page = await newPage(context);
try {
  // Signed out, any page shows sign-in.
  step = "sign-in page";
  console.error(`[e2e] ${step}`);
  await page.goto(`${base}/queues`);
  await page.getByRole("heading", { name: "Sign in to Powernode" }).waitFor();
  await page_(page, "01-sign-in");

  // Register through the form, by keyboard.
  step = "register";
  console.error(`[e2e] ${step}`);
  await page.getByRole("link", { name: "Create one" }).click();
  await page.getByRole("heading", { name: "Create your Powernode account" }).waitFor();
  await page_(page, "02-register");
  await page.getByLabel("Your name").fill("E2E Owner");
  await page.getByLabel("Account name").fill("E2E Account");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Files" }).waitFor();

  // Upload two photos at once and a broken one; each gets its own progress row.
  step = "upload";
  console.error(`[e2e] ${step}`);
  await page.getByLabel("Upload files").setInputFiles([photo, second]);
  await expectNotice(page, "Uploaded Canon_40D.jpg");
  await expectNotice(page, "Uploaded DSCN0010.jpg");
  await page.getByLabel("Upload files").setInputFiles([broken]);
  await expectNotice(page, "Uploaded corrupted.jpg");
  // The grid shows a placeholder until processing ends, then the thumbnail by itself.
  step = "thumbnail";
  console.error(`[e2e] ${step}`);
  // The card is rebuilt as its status moves on, so look the image up afresh each time.
  await page.waitForFunction(() => {
    const img = document.querySelector('img[alt="Thumbnail of Canon_40D.jpg"]');
    return img !== null && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 120_000 });
  await page.getByRole("img", { name: "Thumbnail of DSCN0010.jpg" }).waitFor({ timeout: 120_000 });
  await page.locator('.file-card[data-status="failed"]', { hasText: "corrupted.jpg" }).waitFor({ timeout: 120_000 });
  await page_(page, "03-files");

  // Filter by name.
  step = "filter";
  console.error(`[e2e] ${step}`);
  await page.getByLabel("Name").fill("DSCN");
  await page.getByRole("button", { name: "Search" }).click();
  await page.locator(".list-summary", { hasText: "1 files" }).waitFor();
  await page.getByLabel("Name").fill("");
  await page.getByRole("button", { name: "Search" }).click();
  await page.locator(".list-summary", { hasText: "3 files" }).waitFor();

  // The file's detail: preview, EXIF, processing jobs.
  step = "detail";
  console.error(`[e2e] ${step}`);
  await page.getByRole("link", { name: /Canon_40D\.jpg/ }).click();
  await page.getByRole("heading", { name: "Canon_40D.jpg" }).waitFor();
  await page.getByRole("img", { name: "Preview of Canon_40D.jpg" }).waitFor({ timeout: 30_000 });
  const exif = page.getByRole("table", { name: "EXIF tags" });
  await exif.getByRole("row", { name: /Make\s+Canon/ }).waitFor();
  await exif.getByRole("row", { name: /Model\s+Canon EOS 40D/ }).waitFor();
  await page.getByRole("table", { name: "File details and metadata" }).getByRole("row", { name: /Width\s+\d+/ }).waitFor();
  await page.locator("#jobs-title ~ table").getByText("completed").first().waitFor();

  // Tags.
  step = "tags";
  console.error(`[e2e] ${step}`);
  await page.getByLabel("Add tags").fill("holiday, canon");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await page.getByRole("button", { name: "Remove tag canon" }).waitFor();

  // A password share, then its download through the share page, signed out.
  step = "share";
  console.error(`[e2e] ${step}`);
  await page.getByLabel("Password", { exact: true }).fill("share pass 123");
  await page.getByLabel("Download limit").fill("3");
  await page.getByRole("button", { name: "Create share link" }).click();
  await expectNotice(page, "Share link created");
  const shareUrl = await page.locator("a.share-url").first().textContent();
  if (!shareUrl.startsWith(`${base}/shared/`)) throw new Error(`unexpected share link ${shareUrl}`);
  await page.locator("td", { hasText: "0 of 3" }).waitFor();
  await page_(page, "04-file-detail");

  step = "shared page";
  console.error(`[e2e] ${step}`);
  const stranger = await browser.newContext({ acceptDownloads: true });
  const visitor = await newPage(stranger);
  await visitor.goto(shareUrl);
  await visitor.getByRole("heading", { name: "A file was shared with you" }).waitFor();
  await visitor.getByRole("button", { name: "Download" }).click();
  await visitor.getByRole("alert").filter({ hasText: "This link needs its password." }).waitFor();
  await visitor.getByLabel("Password (if the link has one)").fill("not the password");
  await visitor.getByRole("button", { name: "Download" }).click();
  await visitor.getByRole("alert").filter({ hasText: "Wrong password." }).waitFor();
  await visitor.getByLabel("Password (if the link has one)").fill("share pass 123");
  const [download] = await Promise.all([
    visitor.waitForEvent("download"),
    visitor.getByRole("button", { name: "Download" }).click(),
  ]);
  const saved = path.join(mkdtempSync(path.join(tmpdir(), "pn-e2e-")), "shared.jpg");
  await download.saveAs(saved);
  if (download.suggestedFilename() !== "Canon_40D.jpg") throw new Error(`download named ${download.suggestedFilename()}`);
  if (sha256(readFileSync(saved)) !== sha256(readFileSync(photo))) throw new Error("the shared download differs from the upload");
  await visitor.getByText("Downloaded Canon_40D.jpg").waitFor();
  await page_(visitor, "05-shared");
  await stranger.close();
  step = "share count";
  console.error(`[e2e] ${step}`);
  await page.reload();
  await page.locator("td", { hasText: "1 of 3" }).waitFor();

  // Queues: the completed processing jobs, the chart, and a dead job retried.
  step = "queues";
  console.error(`[e2e] ${step}`);
  await page.getByRole("link", { name: "Queues" }).click();
  await page.getByRole("heading", { name: "Queues" }).waitFor();
  const row = page.locator('tr[data-queue="file_processing"]');
  await row.waitFor();
  // Columns: queue, then the states in life order (completed is the 6th cell after the name).
  const completedCell = row.locator("td").nth(4);
  await page.waitForFunction((el) => Number(el.textContent) >= 4, await completedCell.elementHandle());
  // The chart's completed line rises off its baseline (jobs finished in the last hour).
  // Read through the locator on every poll, never through one element handle: a handle keeps
  // watching an element the page may since have replaced.
  const line = page.getByRole("img", { name: "file_processing throughput" }).locator("polyline.line-ok");
  await waitForAttribute(line, "points", (points) => {
    const ys = points.trim().split(" ").map((p) => Number(p.split(",")[1]));
    return Math.min(...ys) < Math.max(...ys);
  });
  await page.getByLabel("Queue", { exact: true }).selectOption("file_processing");
  await page.getByLabel("State").selectOption("completed");
  await page.locator("tr[data-job]", { hasText: "media.thumbnail" }).first().waitFor();
  await page.getByLabel("State").selectOption("dead");
  const deadRow = page.locator("tr[data-job]", { hasText: "media.thumbnail" }).first();
  await deadRow.waitFor({ timeout: 60_000 });
  await deadRow.getByRole("button", { name: /Details of job/ }).click();
  await page.getByRole("heading", { name: "Job media.thumbnail" }).waitFor();
  await page.locator(".job-detail .errors").waitFor();
  await page_(page, "06-queues");
  await page.getByRole("button", { name: "Retry now" }).click();
  await expectNotice(page, /Job media\.thumbnail is now (available|running|retryable|dead|completed)/);

  // Storage: the default storage, its connection tested.
  step = "storage";
  console.error(`[e2e] ${step}`);
  await page.getByRole("link", { name: "Storage" }).click();
  await page.getByRole("heading", { name: "Storage" }).waitFor();
  await page.getByRole("button", { name: /^Test / }).first().click();
  await page.getByText(/Connection works \(\d+ ms\)/).waitFor();
  await page.getByRole("button", { name: "New storage" }).click();
  await page.getByLabel("Bucket *").waitFor();
  await page_(page, "07-storage");

  // An access token the API refuses (a broken signature, as a rotated key or an expiry would)
  // is refreshed transparently: the next page loads, and a new token is kept.
  step = "token refresh";
  console.error(`[e2e] ${step}`);
  const refused = await page.evaluate(() => {
    const [head, claims] = localStorage.getItem("powernode.access_token").split(".");
    const broken = `${head}.${claims}.bm90LWEtc2lnbmF0dXJl`;
    localStorage.setItem("powernode.access_token", broken);
    return broken;
  });
  await page.getByRole("link", { name: "Users" }).click();
  await page.getByRole("row", { name: new RegExp(email) }).waitFor();
  const renewed = await page.evaluate(() => localStorage.getItem("powernode.access_token"));
  if (!renewed || renewed === refused) throw new Error("the refused token was not replaced");

  // Users: invite a viewer.
  step = "users";
  console.error(`[e2e] ${step}`);
  await page.getByRole("heading", { name: "Users" }).waitFor();
  const invitee = `viewer-${Date.now()}@example.com`;
  await page.getByLabel("Email").fill(invitee);
  await page.getByLabel("Name").fill("A Viewer");
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByLabel("First password").fill("viewer password 1");
  await page.getByRole("button", { name: "Invite" }).click();
  await expectNotice(page, `${invitee} added as viewer`);
  await page.getByRole("row", { name: new RegExp(invitee) }).waitFor();
  await page_(page, "08-users");

  // Webhooks: an endpoint (its secret shown once), a signed delivery from "the provider", the
  // event processed by the consumers, its payload, and a replay.
  step = "webhooks";
  console.error(`[e2e] ${step}`);
  await page.getByRole("link", { name: "Webhooks" }).click();
  await page.getByRole("heading", { name: "Webhooks" }).waitFor();
  await page.getByLabel("Name", { exact: true }).fill("e2e provider");
  await page.getByLabel("Provider", { exact: true }).selectOption("generic");
  await page.getByRole("button", { name: "Create endpoint" }).click();
  const secret = await page.getByLabel("Signing secret").inputValue();
  const hookPath = (await page.locator("td.share-url").first().textContent()).replace(base, "");
  const body = JSON.stringify({ id: `evt-${Date.now()}`, type: "e2e.ping", hello: "world" });
  const ts = Math.floor(Date.now() / 1000).toString();
  const { createHmac } = await import("node:crypto");
  const signature = createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex");
  const delivered = await fetch(`${base}${hookPath}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-timestamp": ts, "x-signature": `sha256=${signature}` },
    body,
  });
  if (delivered.status !== 202) throw new Error(`the webhook answered ${delivered.status}: ${await delivered.text()}`);
  const eventRow = page.locator("tr[data-event]", { hasText: "e2e.ping" });
  await eventRow.locator(".badge-processed").waitFor({ timeout: 60_000 });
  await eventRow.getByRole("button", { name: /Details of event/ }).click();
  await page.locator("pre.json", { hasText: '"hello": "world"' }).waitFor();
  await page_(page, "09-webhooks");
  await page.getByRole("button", { name: "Replay" }).click();
  await expectNotice(page, /queued again/);

  // AI: a provider (the local model ./scripts/dev serves), a playground answer that arrives
  // token by token, then the usage chart and the ledger row of that call.
  if (args.llm) {
    step = "ai";
    console.error(`[e2e] ${step}`);
    await page.getByRole("link", { name: "AI", exact: true }).click();
    await page.getByRole("heading", { name: "AI", exact: true }).waitFor();
    await page.getByLabel("Name", { exact: true }).fill("local llama.cpp");
    await page.getByLabel("Base URL").fill(args.llm);
    await page.getByLabel("Model name").fill("smollm2");
    await page.getByLabel("Input $/Mtok").fill("0.15");
    await page.getByLabel("Output $/Mtok").fill("0.6");
    await page.getByRole("button", { name: "Add provider" }).click();
    await expectNotice(page, "Provider local llama.cpp added");
    await page.locator('tr[data-provider="local llama.cpp"] .badge', { hasText: "closed" }).waitFor();
    await page.getByLabel("Model to call").fill("smollm2");
    await page.getByLabel("Prompt").fill("Write three sentences about the sea.");
    await page.getByRole("button", { name: "Send" }).click();
    // Sample the answer while it streams: it must be seen growing, not appear whole.
    const lengths = new Set();
    const deadline = Date.now() + 120_000;
    for (;;) {
      const [text, summary] = await page.evaluate(() => [
        document.querySelector("#pg-answer")?.textContent ?? "",
        document.querySelector("#pg-summary")?.textContent ?? "",
      ]);
      if (text.length > 0 && summary === "streaming...") lengths.add(text.length);
      if (/\d+ in, \d+ out/.test(summary)) break;
      if (Date.now() > deadline) throw new Error(`the playground did not finish: "${summary}"`);
      await new Promise((r) => setTimeout(r, 25));
    }
    if (lengths.size < 2) throw new Error(`the answer did not stream (seen lengths: ${[...lengths].join(", ")})`);
    await page.locator("#usage-by-model tr", { hasText: "smollm2" }).waitFor();
    const points = await page.locator("#usage-charts polyline").first().getAttribute("points");
    if (!points || !points.trim()) throw new Error("the usage chart has no line");
    await page.locator("#ai-ledger tr", { hasText: "smollm2" }).first().waitFor();
    await page_(page, "10-ai");
  } else {
    console.error("[e2e] ai: skipped (no --llm URL of a local chat model)");
  }

  // Agents, on the chat model the AI step added: an agent without tools (the small model does
  // not call tools reliably), edited once, a run whose page shows its status and its one model
  // step as they land (no reload), and the fleet and runs tables counting it.
  if (args.llm) {
    step = "agents";
    console.error(`[e2e] ${step}`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents", exact: true }).click();
    await page.getByRole("heading", { name: "Agents", exact: true }).waitFor();
    await page.getByRole("button", { name: "New agent" }).click();
    await page.locator("#agent-model option", { hasText: "smollm2" }).waitFor({ state: "attached" });
    await page.getByLabel("Agent name").fill("e2e agent");
    await page.getByLabel("Chat model").selectOption("smollm2");
    await page.getByLabel("System prompt").fill("You are a helpful assistant.");
    await page.getByLabel(/^Max tokens per call/).fill("200");
    await page_(page, "12-agent-form");
    await page.getByRole("button", { name: "Save agent" }).click();
    await expectNotice(page, "Agent e2e agent created");
    const agentRow = page.locator('#agents-fleet tr[data-agent="e2e agent"]');
    await agentRow.waitFor();
    await agentRow.locator('[data-testid="agent-tools"]', { hasText: "none" }).waitFor();
    await agentRow.getByRole("button", { name: "Edit agent e2e agent" }).click();
    if ((await page.getByLabel("Agent name").inputValue()) !== "e2e agent") throw new Error("the edit form lost the agent's name");
    await page.getByLabel("System prompt").fill("You are a brief assistant. Answer in one short sentence.");
    await page.getByLabel(/^Max steps/).fill("2");
    await page.getByRole("button", { name: "Save agent" }).click();
    await expectNotice(page, "Agent e2e agent saved");

    step = "agent run";
    console.error(`[e2e] ${step}`);
    await agentRow.getByRole("button", { name: "Run agent e2e agent" }).click();
    await page.getByLabel("Input", { exact: true }).fill("What colour is the sky on a clear day?");
    await page.getByRole("button", { name: "Start run" }).click();
    await page.getByRole("heading", { name: "Run of e2e agent" }).waitFor();
    const status = page.locator("#run-status");
    const seen = [await status.getAttribute("data-status")];
    // No reload from here: the page follows the run's events (or polls where it cannot).
    const runDeadline = Date.now() + 120_000;
    for (;;) {
      const now = await status.getAttribute("data-status");
      if (now !== seen[seen.length - 1]) seen.push(now);
      if (["completed", "failed", "cancelled"].includes(now)) break;
      if (Date.now() > runDeadline) throw new Error(`the run did not finish in 120 s (statuses seen: ${seen.join(" → ")})`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const mode = await page.locator("#run-updates").getAttribute("data-mode");
    console.error(`[e2e] run statuses seen: ${seen.join(" → ")} (updates: ${mode})`);
    if (seen[seen.length - 1] !== "completed") {
      const error = await page.locator("#run-error").textContent().catch(() => "");
      throw new Error(`the run ended ${seen[seen.length - 1]}: ${error}`);
    }
    const output = (await page.locator("#run-output").textContent()).trim();
    if (!output) throw new Error("the completed run shows no output");
    await page.locator('#run-steps li.run-step[data-kind="llm"]').first().waitFor();
    const llmSteps = await page.locator('#run-steps li.run-step[data-kind="llm"]').count();
    const allSteps = await page.locator("#run-steps li.run-step").count();
    if (llmSteps !== 1 || allSteps !== 1) throw new Error(`expected one llm step, saw ${llmSteps} llm of ${allSteps} steps`);
    if (await page.locator("#run-cancel").count()) throw new Error("a finished run still offers Cancel");
    await page_(page, "13-agent-run");

    step = "agent fleet";
    console.error(`[e2e] ${step}`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents", exact: true }).click();
    await page.getByRole("heading", { name: "Agents", exact: true }).waitFor();
    await agentRow.locator('[data-testid="agent-runs"] [data-status="completed"][data-count="1"]').waitFor();
    await agentRow.locator('[data-testid="agent-success-rate"]', { hasText: "100%" }).waitFor();
    await page_(page, "14-agents");
    await agentRow.getByRole("link", { name: "Runs of agent e2e agent" }).click();
    await page.getByRole("heading", { name: "Runs", exact: true }).waitFor();
    const runRow = page.locator('#agent-runs tr[data-status="completed"]', { hasText: "e2e agent" });
    await runRow.waitFor();
    if ((await page.locator("#agent-runs tbody tr").count()) !== 1) throw new Error("the agent's runs list does not hold just its one run");
    await page.getByLabel("Status", { exact: true }).selectOption("failed");
    await page.locator("#runs-summary", { hasText: "0 runs" }).waitFor();
    await page.getByLabel("Status", { exact: true }).selectOption("completed");
    await runRow.waitFor();
    await page_(page, "15-agent-runs");

    // Where the server cannot hold the event stream (it answers 503), the run page polls.
    step = "agent run polled";
    console.error(`[e2e] ${step}`);
    const refuseStream = (route) => route.fulfill({
      status: 503,
      contentType: "application/json",
      body: JSON.stringify({ success: false, error: "this runtime cannot hold a stream", code: "service_unavailable" }),
    });
    await page.route("**/api/v1/ai/runs/*/events*", refuseStream);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents", exact: true }).click();
    await agentRow.getByRole("button", { name: "Run agent e2e agent" }).click();
    await page.getByLabel("Input", { exact: true }).fill("Name one fruit.");
    await page.getByRole("button", { name: "Start run" }).click();
    await page.getByRole("heading", { name: "Run of e2e agent" }).waitFor();
    await page.locator('#run-status[data-status="completed"]').waitFor({ timeout: 120_000 });
    await page.locator('#run-steps li.run-step[data-kind="llm"]').first().waitFor();
    const polledMode = await page.locator("#run-updates").getAttribute("data-mode");
    // A run that had ended before the page loaded it needs neither.
    if (!["polling", "none"].includes(polledMode)) throw new Error(`with the stream refused, the run page said "${polledMode}"`);
    console.error(`[e2e] with the stream refused: updates ${polledMode}`);
    await page.unroute("**/api/v1/ai/runs/*/events*", refuseStream);
  } else {
    console.error("[e2e] agents: skipped (no --llm URL of a local chat model)");
  }

  // Knowledge: the local embedding model as a provider, a base made with it, a text document
  // whose row turns `ready` without a reload, and a search in each mode whose hit marks the
  // query's words.
  if (args.embed) {
    step = "knowledge provider";
    console.error(`[e2e] ${step}`);
    await page.getByRole("link", { name: "AI", exact: true }).click();
    await page.getByRole("heading", { name: "AI", exact: true }).waitFor();
    await page.getByLabel("Name", { exact: true }).fill("local e5");
    await page.getByLabel("Base URL").fill(args.embed);
    await page.getByLabel("Model name").fill("e5-small");
    await page.getByLabel("Model kind").selectOption("embedding");
    await page.getByLabel("Input $/Mtok").fill("0.02");
    await page.getByLabel("Output $/Mtok").fill("0");
    await page.getByRole("button", { name: "Add provider" }).click();
    await expectNotice(page, "Provider local e5 added");
    await page.locator('tr[data-provider="local e5"]', { hasText: "e5-small (embedding)" }).waitFor();

    step = "knowledge base";
    console.error(`[e2e] ${step}`);
    await page.getByRole("link", { name: "Knowledge", exact: true }).click();
    await page.getByRole("heading", { name: "Knowledge", exact: true }).waitFor();
    await page.locator("#kb-model option", { hasText: "e5-small" }).waitFor({ state: "attached" });
    await page.getByLabel("Base name").fill("e2e notes");
    await page.getByLabel("Embedding model").selectOption("e5-small");
    await page.getByRole("button", { name: "Create base" }).click();
    await expectNotice(page, "Knowledge base e2e notes created");
    await page.getByRole("heading", { name: "e2e notes", exact: true }).waitFor();

    step = "knowledge document";
    console.error(`[e2e] ${step}`);
    const volcanoes = "Volcanoes form where magma from the Earth's mantle reaches the surface. " +
      "Lava flows, ash clouds and volcanic gases are released during an eruption.\n\n" +
      "Shield volcanoes like Mauna Loa have gentle slopes made by runny basalt lava.";
    await page.getByLabel("Document title").fill("Volcanoes");
    await page.getByLabel("Text", { exact: true }).fill(volcanoes);
    await page.getByRole("button", { name: "Add text" }).click();
    await expectNotice(page, "Document Volcanoes added");
    const docRow = page.locator('#kb-documents tr[data-document="Volcanoes"]');
    await docRow.waitFor();
    const firstStatus = await docRow.getAttribute("data-status");
    console.error(`[e2e] the document's row first said ${firstStatus}`);
    // No reload from here: the page polls while the document is pending or embedding.
    await page.locator('#kb-documents tr[data-document="Volcanoes"][data-status="ready"]').waitFor({ timeout: 120_000 });
    await docRow.locator(".badge", { hasText: "ready" }).waitFor();
    await page.locator("#kb-summary", { hasText: /1 document, [1-9]\d* chunks?/ }).waitFor();
    await page.locator("#kb-docs-status", { hasText: /^1 document$/ }).waitFor();

    step = "knowledge search";
    console.error(`[e2e] ${step}`);
    const phrase = "shield volcanoes basalt lava";
    const words = phrase.split(" ");
    await page.getByLabel("Search for").fill(phrase);
    for (const mode of ["hybrid", "vector", "text"]) {
      await page.getByLabel("Mode", { exact: true }).selectOption(mode);
      await page.getByRole("button", { name: "Search", exact: true }).click();
      const hit = page.locator("#kb-hits .hit", { hasText: "Volcanoes" }).first();
      await hit.waitFor({ timeout: 60_000 });
      const marks = await hit.locator(".hit-text mark").allTextContents();
      if (!marks.length) throw new Error(`${mode} search: the hit marks none of the query's words`);
      const stray = marks.filter((m) => !words.some((w) => m.toLowerCase().startsWith(w)));
      if (stray.length) throw new Error(`${mode} search: marked words not in the query: ${stray.join(", ")}`);
      const scoreText = await hit.locator(".hit-score").textContent();
      if (!/^score -?\d+\.\d+$/.test(scoreText.trim())) throw new Error(`${mode} search: score shown as "${scoreText}"`);
      console.error(`[e2e] ${mode} search: ${marks.length} marked words, ${scoreText.trim()}`);
    }
    await page_(page, "11-knowledge");
  } else {
    console.error("[e2e] knowledge: skipped (no --embed URL of a local embedding model)");
  }

  // Signing out goes back to sign-in, and the token is gone.
  step = "sign out";
  console.error(`[e2e] ${step}`);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in to Powernode" }).waitFor();
  if (await page.evaluate(() => localStorage.getItem("powernode.access_token"))) throw new Error("token kept after sign-out");

  // Sign in by keyboard alone on the page asked for; it appears once signed in.
  step = "keyboard sign-in";
  console.error(`[e2e] ${step}`);
  await page.goto(`${base}/queues`);
  await page.getByRole("heading", { name: "Sign in to Powernode" }).waitFor();
  await page.getByLabel("Password").fill("wrong password 1");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "Wrong email or password." }).waitFor();
  await page.getByLabel("Email").focus();
  await page.keyboard.press("Tab");
  await page.keyboard.press("Control+A");
  await page.keyboard.type(password);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Queues" }).waitFor();

  if (consoleErrors.length) throw new Error(`errors in the browser console:\n${consoleErrors.join("\n")}`);
  writeFileSync(path.join(args.out, "result.txt"), "ok\n");
  console.log(`web e2e: ok (screenshots in ${args.out})`);
} catch (e) {
  await shot(page, `failed-${step.replace(/\W+/g, "-")}`).catch(() => {});
  console.error(`web e2e FAILED at "${step}": ${e.message}`);
  if (consoleErrors.length) console.error(`browser console errors:\n${consoleErrors.join("\n")}`);
  process.exitCode = 1;
} finally {
  clearTimeout(watchdog);
  await browser.close();
}
