// Headless Chromium driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: no WebSocket, no npm packages), with the few
// verbs the page tests use: open a page, evaluate in it, wait for a
// condition, set fields, click, pick files, take screenshots, and report
// each step as one "ok - " / "not ok - " line.
//
//   const browser = await Browser.launch({ chromium, profile, timeout });
//   await browser.run(async (page) => { await page.open(url); ... });
//   // exits the process: 0 when every step passed
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import os from "node:os";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Command-line options "--name value" over the defaults; exits 64 when a
// required one is missing.
export function options(defaults, required, program) {
    const result = { chromium: "/usr/bin/chromium", timeout: "60", ...defaults };
    for (let index = 2; index < process.argv.length; index += 2)
        result[process.argv[index].replace(/^--/, "")] = process.argv[index + 1];
    for (const name of required)
        if (!result[name]) {
            console.error(`${program}: --${name} is required`);
            process.exit(64);
        }
    return result;
}

// One page of the browser, attached through a flat session.
class Page {
    constructor(browser, session) {
        this.browser = browser;
        this.session = session;
    }
    send(method, params) {
        return this.browser.send(method, params, this.session);
    }
    async open(url) {
        await this.send("Page.navigate", { url });
    }
    // Evaluates an expression in the page; resolves to its value.
    async evaluate(expression) {
        const answer = await this.send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
        if (answer.exceptionDetails)
            throw new Error(`in the page: ${answer.exceptionDetails.exception?.description || answer.exceptionDetails.text}`);
        return answer.result.value;
    }
    // Waits until the expression is truthy; resolves to its value. The
    // error names what the page's #message said.
    async until(what, expression, seconds = 20) {
        const deadline = Date.now() + seconds * 1000;
        let value;
        while (Date.now() < deadline) {
            value = await this.evaluate(expression);
            if (value)
                return value;
            await sleep(200);
        }
        const message = await this.evaluate("document.getElementById('message')?.textContent || ''").catch(() => "");
        throw new Error(`timed out waiting for ${what} (the page says: "${message}")`);
    }
    // Sets a field's value as a user would, firing input and change.
    set(id, value) {
        return this.evaluate(`(() => { const e = document.getElementById(${JSON.stringify(id)});
            if (!e) throw new Error("no #" + ${JSON.stringify(id)});
            e.value = ${JSON.stringify(value)}; e.dispatchEvent(new Event('input'));
            e.dispatchEvent(new Event('change')); return true; })()`);
    }
    click(id) {
        return this.evaluate(`(() => { const e = document.getElementById(${JSON.stringify(id)});
            if (!e) throw new Error("no #" + ${JSON.stringify(id)}); e.click(); return true; })()`);
    }
    text(id) {
        return this.evaluate(`document.getElementById(${JSON.stringify(id)})?.textContent || ''`);
    }
    // Picks a file into the <input type=file> that selector finds.
    async pick(selector, file) {
        const { root } = await this.send("DOM.getDocument", { depth: -1 });
        const { nodeId } = await this.send("DOM.querySelector", { nodeId: root.nodeId, selector });
        if (!nodeId)
            throw new Error(`no ${selector} in the page`);
        await this.send("DOM.setFileInputFiles", { nodeId, files: [path.resolve(file)] });
    }
    // Saves what the page shows as a PNG under the profile folder.
    async screenshot(name) {
        const shot = await this.send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true });
        const file = path.join(this.browser.profile, `${name}.png`);
        fs.writeFileSync(file, Buffer.from(shot.data, "base64"));
        return file;
    }
}

export class Browser {
    static async launch({ chromium = "/usr/bin/chromium", profile, timeout = "60" } = {}) {
        const browser = new Browser();
        browser.profile = profile || fs.mkdtempSync(path.join(os.tmpdir(), "egov-frontend-"));
        fs.mkdirSync(browser.profile, { recursive: true });
        browser.timeout = Number(timeout);
        browser.process = spawn(chromium, [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--window-size=1280,1000",
            `--user-data-dir=${path.join(browser.profile, "user-data")}`,
            "--remote-debugging-pipe", "about:blank"], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
        browser.log = "";
        browser.process.stderr.on("data", (chunk) => { browser.log += chunk; });
        // The protocol: JSON messages separated by NUL on fds 3 (to) and 4 (from)
        browser.pending = new Map();
        browser.nextId = 1;
        let buffer = "";
        browser.process.stdio[4].on("data", (chunk) => {
            buffer += chunk.toString("utf8");
            let end;
            while ((end = buffer.indexOf("\0")) >= 0) {
                const message = JSON.parse(buffer.slice(0, end));
                buffer = buffer.slice(end + 1);
                const waiter = message.id !== undefined && browser.pending.get(message.id);
                if (waiter) {
                    browser.pending.delete(message.id);
                    if (message.error)
                        waiter.reject(new Error(`${waiter.method}: ${message.error.message}`));
                    else
                        waiter.resolve(message.result);
                }
            }
        });
        browser.process.on("exit", (code, signal) => {
            if (browser.pending.size) {
                console.log(`not ok - chromium kept running\n#   it exited (${code ?? signal})\n` +
                    browser.log.split("\n").slice(-10).map((l) => "#   " + l).join("\n"));
                process.exit(1);
            }
        });
        browser.failed = 0;
        return browser;
    }
    send(method, params = {}, sessionId) {
        const id = this.nextId++;
        const message = { id, method, params };
        if (sessionId)
            message.sessionId = sessionId;
        this.process.stdio[3].write(JSON.stringify(message) + "\0");
        return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, method }));
    }
    // A new page (tab) with its page and runtime events enabled.
    async page() {
        const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
        const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
        const page = new Page(this, sessionId);
        await page.send("Page.enable");
        await page.send("Runtime.enable");
        return page;
    }
    // One step: prints "ok - NAME[: what it returned]"; a step that throws
    // prints "not ok" and ends the run.
    async step(name, action) {
        try {
            const detail = await action();
            console.log(`ok - ${name}${detail ? ": " + detail : ""}`);
        }
        catch (error) {
            this.failed++;
            console.log(`not ok - ${name}\n#   ${error.message}`);
            throw error;
        }
    }
    // Runs script(page) within the timeout, closes the browser and exits
    // the process: 0 when every step passed.
    async run(script) {
        const timer = setTimeout(() => {
            console.log(`not ok - the frontend test finished in time\n#   it ran past ${this.timeout} s`);
            this.process.kill("SIGKILL");
            process.exit(1);
        }, this.timeout * 1000);
        try {
            await script(await this.page());
        }
        catch (error) {
            if (!this.failed)
                console.log(`not ok - the frontend test ran\n#   ${error.message}`);
            this.failed = this.failed || 1;
        }
        clearTimeout(timer);
        await this.send("Browser.close").catch(() => {});
        await new Promise((resolve) => {
            if (this.process.exitCode !== null)
                resolve();
            else
                this.process.once("exit", resolve);
            setTimeout(resolve, 3000);
        });
        process.exit(this.failed ? 1 : 0);
    }
}
