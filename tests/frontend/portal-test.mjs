// The portal's reference frontend in headless Chromium (cdp.mjs drives it over the
// DevTools protocol on a pipe: no WebSocket, no npm
// packages): a citizen registers, logs in, fills in school-admission for
// a child the registry links to them, picks the PEM key and certificate
// files, signs in the page (WebCrypto + the page's own CMS encoder), submits,
// and sees the application and its notices in the cabinet.
//
//   node portal-test.mjs --base URL --iin IIN --child IIN --key FILE --cert FILE
//        [--password P] [--chromium PATH] [--profile DIR]
// Prints one line per step; exits 0 when every step passed.
import fs from "node:fs";
import path from "node:path";
import { Browser, options as parse } from "./cdp.mjs";

const options = parse({ password: "Browser2026" }, ["base", "iin", "child", "key", "cert"], "portal-test");
const browser = await Browser.launch(options);
const profile = browser.profile;
const step = (name, action) => browser.step(name, action);

await browser.run(async (page) => {
    await step("the page loads from the portal", async () => {
        await page.open(options.base + "/");
        await page.until("the page's script", "window.portalReady === true && typeof Cms === 'object'");
        return await page.evaluate("document.title");
    });
    await step("the citizen registers, signing the portal's challenge in the page", async () => {
        await page.set("register-iin", options.iin);
        await page.set("register-password", options.password);
        await page.pick("#register-key-file", options.key);
        await page.pick("#register-cert-file", options.cert);
        await page.click("register");
        return await page.until("the registration", "/^Registered: /.test(document.getElementById('message').textContent) && document.getElementById('message').textContent");
    });
    await step("a wrong password is refused", async () => {
        await page.set("login-iin", options.iin);
        await page.set("login-password", "Wrong-" + options.password);
        await page.click("login");
        return await page.until("the refusal", "/AUTH_FAILED/.test(document.getElementById('message').textContent) && document.getElementById('message').textContent");
    });
    await step("the citizen logs in and sees the services", async () => {
        await page.set("login-password", options.password);
        await page.click("login");
        await page.until("the form", "!document.getElementById('apply').hidden && document.getElementById('service').options.length > 0");
        return await page.evaluate("document.getElementById('who').textContent");
    });
    await step("school-admission is filled in for the child from the registry", async () => {
        const index = await page.evaluate(`[...document.getElementById('service').options]
            .findIndex((o) => o.dataset.code === 'school-admission@750000000')`);
        if (index < 0)
            throw new Error("school-admission of Almaty is not offered");
        await page.set("service", String(index));
        await page.until("the child in the form", `[...document.getElementById('field-child_iin').options].some((o) => o.value === ${JSON.stringify(options.child)})`);
        await page.set("field-child_iin", options.child);
        await page.set("field-study_form", "day");
        await page.set("field-grade", "2");
        await page.set("field-school", "School No 7");
        for (const type of ["application", "medical-certificate-086u", "health-passport-026u3", "photo-3x4"]) {
            const file = path.join(profile, `${type}.txt`);
            fs.writeFileSync(file, `scan of ${type}\n`);
            await page.pick(`#doc-${type}`, file);
        }
    });
    await step("the request is signed in the page with the picked key and certificate, and accepted", async () => {
        await page.pick("#key-file", options.key);
        await page.pick("#cert-file", options.cert);
        await page.click("sign-submit");
        return await page.until("the acceptance", "/^Accepted: /.test(document.getElementById('message').textContent) && document.getElementById('message').textContent");
    });
    await step("the cabinet shows the application, registered by the regional gateway", async () => {
        return await page.until("the registration", `(() => { const row = document.querySelector('#applications tbody tr');
            return row && /REGISTERED|IN_PROGRESS|READY/.test(row.dataset.status) && row.textContent; })()`, 30);
    });
    await step("the notifications say when the result will be ready", async () => {
        return await page.until("the accepted notice", "[...document.querySelectorAll('#notifications li')].map((li) => li.textContent).find((t) => /is accepted. The result will be ready by/.test(t))");
    });
    await step("the application's history opens", async () => {
        await page.evaluate("document.querySelector('#applications tbody tr').click(), true");
        return await page.until("the history", "document.querySelectorAll('#detail .history li').length >= 3 && document.querySelector('#detail h4').textContent");
    });
    await page.screenshot("cabinet");
});

