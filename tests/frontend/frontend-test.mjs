// The portal's reference frontend in headless Chromium, driven over the
// DevTools protocol on a pipe (--remote-debugging-pipe: no WebSocket, no npm
// packages): a citizen registers, logs in, fills in school-admission for
// a child the registry links to them, picks the PEM key and certificate
// files, signs in the page (WebCrypto + the page's own CMS encoder), submits,
// and sees the application and its notices in the cabinet.
//
//   node frontend-test.mjs --base URL --iin IIN --child IIN --key FILE --cert FILE
//        [--password P] [--chromium PATH] [--profile DIR]
// Prints one line per step; exits 0 when every step passed.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import os from "node:os";

const options = { chromium: "/usr/bin/chromium", password: "Browser2026", timeout: "60" };
for (let index = 2; index < process.argv.length; index += 2)
    options[process.argv[index].replace(/^--/, "")] = process.argv[index + 1];
for (const required of ["base", "iin", "child", "key", "cert"])
    if (!options[required]) {
        console.error(`frontend-test: --${required} is required`);
        process.exit(64);
    }
const profile = options.profile || fs.mkdtempSync(path.join(os.tmpdir(), "portal-frontend-"));
fs.mkdirSync(profile, { recursive: true });

const browser = spawn(options.chromium, [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", `--user-data-dir=${path.join(profile, "user-data")}`,
    "--remote-debugging-pipe", "about:blank"], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
let browserLog = "";
browser.stderr.on("data", (chunk) => { browserLog += chunk; });

// ---------------------------------------------------------------------------
// The protocol: JSON messages separated by NUL on fds 3 (to) and 4 (from)
const pending = new Map();
let nextId = 1, buffer = "";
browser.stdio[4].on("data", (chunk) => {
    buffer += chunk.toString("utf8");
    let end;
    while ((end = buffer.indexOf("\0")) >= 0) {
        const message = JSON.parse(buffer.slice(0, end));
        buffer = buffer.slice(end + 1);
        const waiter = message.id !== undefined && pending.get(message.id);
        if (waiter) {
            pending.delete(message.id);
            if (message.error)
                waiter.reject(new Error(`${waiter.method}: ${message.error.message}`));
            else
                waiter.resolve(message.result);
        }
    }
});
function send(method, params = {}, sessionId) {
    const id = nextId++;
    const message = { id, method, params };
    if (sessionId)
        message.sessionId = sessionId;
    browser.stdio[3].write(JSON.stringify(message) + "\0");
    return new Promise((resolve, reject) => pending.set(id, { resolve, reject, method }));
}

let session;
const page = (method, params) => send(method, params, session);
// Evaluates an expression in the page; resolves to its value.
async function evaluate(expression) {
    const answer = await page("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
    if (answer.exceptionDetails)
        throw new Error(`in the page: ${answer.exceptionDetails.exception?.description || answer.exceptionDetails.text}`);
    return answer.result.value;
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Waits until the expression is truthy; resolves to its value.
async function until(what, expression, seconds = 20) {
    const deadline = Date.now() + seconds * 1000;
    let value;
    while (Date.now() < deadline) {
        value = await evaluate(expression);
        if (value)
            return value;
        await sleep(200);
    }
    const message = await evaluate("document.getElementById('message')?.textContent || ''").catch(() => "");
    throw new Error(`timed out waiting for ${what} (the page says: "${message}")`);
}
const set = (id, value) => evaluate(`(() => { const e = document.getElementById(${JSON.stringify(id)});
    e.value = ${JSON.stringify(value)}; e.dispatchEvent(new Event('change')); return true; })()`);
const click = (id) => evaluate(`document.getElementById(${JSON.stringify(id)}).click(), true`);
async function pick(selector, file) {
    const { root } = await page("DOM.getDocument", { depth: -1 });
    const { nodeId } = await page("DOM.querySelector", { nodeId: root.nodeId, selector });
    if (!nodeId)
        throw new Error(`no ${selector} in the page`);
    await page("DOM.setFileInputFiles", { nodeId, files: [path.resolve(file)] });
}

let failed = 0;
async function step(name, action) {
    try {
        const detail = await action();
        console.log(`ok - ${name}${detail ? ": " + detail : ""}`);
    }
    catch (error) {
        failed++;
        console.log(`not ok - ${name}\n#   ${error.message}`);
        throw error;
    }
}

async function run() {
    const { targetId } = await send("Target.createTarget", { url: "about:blank" });
    ({ sessionId: session } = await send("Target.attachToTarget", { targetId, flatten: true }));
    await page("Page.enable");
    await page("Runtime.enable");
    await step("the page loads from the portal", async () => {
        await page("Page.navigate", { url: options.base + "/" });
        await until("the page's script", "window.portalReady === true && typeof Cms === 'object'");
        return await evaluate("document.title");
    });
    await step("the citizen registers, signing the portal's challenge in the page", async () => {
        await set("register-iin", options.iin);
        await set("register-password", options.password);
        await pick("#register-key-file", options.key);
        await pick("#register-cert-file", options.cert);
        await click("register");
        return await until("the registration", "/^Registered: /.test(document.getElementById('message').textContent) && document.getElementById('message').textContent");
    });
    await step("a wrong password is refused", async () => {
        await set("login-iin", options.iin);
        await set("login-password", "Wrong-" + options.password);
        await click("login");
        return await until("the refusal", "/AUTH_FAILED/.test(document.getElementById('message').textContent) && document.getElementById('message').textContent");
    });
    await step("the citizen logs in and sees the services", async () => {
        await set("login-password", options.password);
        await click("login");
        await until("the form", "!document.getElementById('apply').hidden && document.getElementById('service').options.length > 0");
        return await evaluate("document.getElementById('who').textContent");
    });
    await step("school-admission is filled in for the child from the registry", async () => {
        const index = await evaluate(`[...document.getElementById('service').options]
            .findIndex((o) => o.dataset.code === 'school-admission@750000000')`);
        if (index < 0)
            throw new Error("school-admission of Almaty is not offered");
        await set("service", String(index));
        await until("the child in the form", `[...document.getElementById('field-child_iin').options].some((o) => o.value === ${JSON.stringify(options.child)})`);
        await set("field-child_iin", options.child);
        await set("field-study_form", "day");
        await set("field-grade", "2");
        await set("field-school", "School No 7");
        for (const type of ["application", "medical-certificate-086u", "health-passport-026u3", "photo-3x4"]) {
            const file = path.join(profile, `${type}.txt`);
            fs.writeFileSync(file, `scan of ${type}\n`);
            await pick(`#doc-${type}`, file);
        }
    });
    await step("the request is signed in the page with the picked key and certificate, and accepted", async () => {
        await pick("#key-file", options.key);
        await pick("#cert-file", options.cert);
        await click("sign-submit");
        return await until("the acceptance", "/^Accepted: /.test(document.getElementById('message').textContent) && document.getElementById('message').textContent");
    });
    await step("the cabinet shows the application, registered by the regional gateway", async () => {
        return await until("the registration", `(() => { const row = document.querySelector('#applications tbody tr');
            return row && /REGISTERED|IN_PROGRESS|READY/.test(row.dataset.status) && row.textContent; })()`, 30);
    });
    await step("the notifications say when the result will be ready", async () => {
        return await until("the accepted notice", "[...document.querySelectorAll('#notifications li')].map((li) => li.textContent).find((t) => /is accepted. The result will be ready by/.test(t))");
    });
    await step("the application's history opens", async () => {
        await evaluate("document.querySelector('#applications tbody tr').click(), true");
        return await until("the history", "document.querySelectorAll('#detail .history li').length >= 3 && document.querySelector('#detail h4').textContent");
    });
    const shot = await page("Page.captureScreenshot", { format: "png" });
    fs.writeFileSync(path.join(profile, "cabinet.png"), Buffer.from(shot.data, "base64"));
}

const timer = setTimeout(() => {
    console.log("not ok - the frontend test finished in time\n#   it ran past " + options.timeout + " s");
    browser.kill("SIGKILL");
    process.exit(1);
}, Number(options.timeout) * 1000);
browser.on("exit", (code, signal) => {
    if (pending.size) {
        console.log(`not ok - chromium kept running\n#   it exited (${code ?? signal})\n${browserLog.split("\n").slice(-10).map((l) => "#   " + l).join("\n")}`);
        process.exit(1);
    }
});
try {
    await run();
}
catch (error) {
    if (!failed)
        console.log(`not ok - the frontend test ran\n#   ${error.message}`);
    failed = failed || 1;
}
clearTimeout(timer);
await send("Browser.close").catch(() => {});
await new Promise((resolve) => { if (browser.exitCode !== null) resolve(); else browser.once("exit", resolve); setTimeout(resolve, 3000); });
process.exit(failed ? 1 : 0);
