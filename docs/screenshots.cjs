// Maintainer tool (not run by the tests or tox): screenshots of TensorBoard's
// Scalars and Images dashboards for a finished keras-gans run, for the README.
//
//   keras-gans run recipes/dcgan.toml --output /tmp/dcgan-run
//   npm install --prefix /tmp/pw playwright-core
//   apt-get install chromium              # Debian's; any Chromium works
//   NODE_PATH=/tmp/pw/node_modules node docs/screenshots.cjs /tmp/dcgan-run
//
// Starts `tensorboard --logdir RUN/logs` on 127.0.0.1 (TENSORBOARD, default
// the `tensorboard` on PATH), opens it in headless Chromium (CHROMIUM, default
// /usr/bin/chromium), waits until the charts and sample images have been
// drawn and writes docs/tensorboard-scalars.png and docs/tensorboard-images.png.

const { spawn } = require("child_process");
const path = require("path");
const { chromium } = require("playwright-core");

const run = process.argv[2];
if (!run) {
  console.error("usage: node docs/screenshots.cjs RUN_DIRECTORY");
  process.exit(2);
}
const port = Number(process.env.PORT || 6006);
const url = `http://127.0.0.1:${port}`;
const docs = __dirname;
const viewport = { width: 1400, height: 900 };

async function waitForServer(seconds) {
  for (let i = 0; i < seconds * 2; i++) {
    try {
      const response = await fetch(`${url}/data/runs`);
      const runs = await response.json();
      if (runs.length) return;
    } catch (error) {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`TensorBoard did not answer on ${url} with a run`);
}

// Polls until `ready(page)` holds (locators pierce TensorBoard's shadow DOM).
async function waitUntil(page, what, ready, seconds = 60) {
  for (let i = 0; i < seconds * 2; i++) {
    if (await ready(page)) return;
    await page.waitForTimeout(500);
  }
  throw new Error(`${what} did not render in ${seconds} s`);
}

async function scalars(page) {
  await page.goto(`${url}/#scalars`);
  // The per-step charts in one section (a tag filter gathers its matches),
  // a little zoomed out so that three fit in a row.
  const filter = page.locator("tf-tag-filterer input");
  await filter.waitFor({ timeout: 60000 });
  await filter.fill("^(d|loss|lr|perf)/");
  await page.evaluate(() => { document.body.style.zoom = "0.8"; });
  // One drawn line per chart (and its smoothed twin).
  await waitUntil(page, "scalar charts", async (p) =>
    (await p.locator("vz-line-chart2 svg path.line").count()) >= 14);
  await page.waitForTimeout(2000); // the last transitions
  await page.screenshot({ path: path.join(docs, "tensorboard-scalars.png") });
}

async function images(page) {
  await page.goto(`${url}/#images`);
  // Zoomed in: the two pictures side by side, larger.
  await page.evaluate(() => { document.body.style.zoom = "1.25"; });
  // Both sample pictures (raw and EMA) loaded at the last step.
  await waitUntil(page, "sample images", async (p) =>
    (await p.locator("tf-image-loader img").evaluateAll(
      (all) => all.filter((img) => img.complete && img.naturalWidth > 100)
        .length)) >= 2);
  await page.waitForTimeout(1000);
  await page.screenshot({ path: path.join(docs, "tensorboard-images.png") });
}

async function main() {
  const server = spawn(
    process.env.TENSORBOARD || "tensorboard",
    ["--logdir", path.join(run, "logs"), "--host", "127.0.0.1",
     "--port", String(port)],
    { stdio: "ignore" },
  );
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  try {
    await waitForServer(120);
    const page = await browser.newPage({ viewport });
    await scalars(page);
    await images(page);
  } finally {
    await browser.close();
    server.kill();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
