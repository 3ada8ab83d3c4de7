// The State Corporation operator's desk page (services/intake/www) in
// headless Chromium (cdp.mjs): an operator logs in, sees Condition 1 refuse
// an unknown applicant and an incomplete package (and prints the refusal
// receipt), takes a complete package with its scans, prints
// the acceptance receipt, follows the application while the simulated clock
// runs, sees and prints the provider's signed result, finds it by its
// receipt number and hands it over (a wrong identity document first).
//
//   node desk-test.mjs --base URL --applicant IIN --id-card NUMBER
//        --advance "COMMAND" [--service CODE@REGION] [--documents TYPE,...]
//        [--form JSON] [--form-service CODE@REGION] [--title REGEX]
//        [--login L --password P] [--stranger IIN] [--chromium PATH] [--profile DIR]
// --documents is the service's complete package; the incomplete one leaves
// out the last. --form fills the service's form fields (key: value);
// --form-service is a service whose form is checked left empty. The same
// page serves the State Corporation's desk and a provider's office.
// --advance moves the simulated clock (e.g. "egovctl clock advance 1d"); it
// runs until the provider's result arrives. Screenshots are left in the
// profile folder. Prints one line per step; exits 0 when every step passed.
import fs from "node:fs";
import path from "node:path";
import { execSync } from "node:child_process";
import { Browser, options as parse } from "./cdp.mjs";

const options = parse({ login: "operator2", password: "demo-operator2", stranger: "010101599994", timeout: "120",
                        service: "externat-permit@750000000", documents: "application,identity-document,reason-document",
                        form: "{}", "form-service": "externat-permit@750000000",
                        title: "State Corporation desk" },
                      ["base", "applicant", "id-card", "advance"], "desk-test");
const browser = await Browser.launch(options);
const step = (name, action) => browser.step(name, action);
const message = "document.getElementById('message').textContent";
const complete = options.documents.split(",");
const form = JSON.parse(options.form);
const incomplete = complete.slice(0, -1);

await browser.run(async (page) => {
    // The scans the operator attaches
    const scan = (type) => {
        const file = path.join(browser.profile, `${type}.pdf`);
        fs.writeFileSync(file, `%PDF-1.4 scan of ${type}\n`);
        return file;
    };
    const fill = async (applicant, types) => {
        await page.set("applicant-iin", applicant);
        await page.evaluate("document.getElementById('consent').checked = true");
        for (const input of await page.evaluate("[...document.querySelectorAll('#documents input[type=file]')].map((i) => i.id)"))
            await page.evaluate(`(() => { const i = document.getElementById('${input}'); i.value = ''; return true; })()`);
        for (const type of types)
            await page.pick(`#doc-${type}`, scan(type));
        for (const [key, value] of Object.entries(form))
            if (await page.evaluate(`!!document.getElementById('field-${key}')`))
                await page.set(`field-${key}`, String(value));
    };
    const submitted = async (what) => {
        await page.evaluate("document.getElementById('message').textContent = ''");
        await page.click("submit");
        return page.until(what, `!/^(Asking|$)/.test(${message}) && ${message}`, 45);
    };

    await step("the desk serves its page under a policy that runs its own scripts only", async () => {
        await page.open(options.base + "/");
        await page.until("the page's script", "window.deskReady === true");
        return await page.evaluate("document.title");
    });
    await step("a wrong password is refused", async () => {
        await page.set("login", options.login);
        await page.set("password", "wrong-" + options.password);
        await page.click("login-button");
        return await page.until("the refusal", `/AUTH_FAILED/.test(${message}) && ${message}`);
    });
    await step("the operator logs in; the log-in form is gone", async () => {
        await page.set("password", options.password);
        await page.click("login-button");
        await page.until("the services", "document.getElementById('service').options.length > 0");
        const title = await page.evaluate("document.title");
        if (!new RegExp(options.title).test(title))
            throw new Error(`the page calls itself "${title}", not /${options.title}/`);
        const visible = await page.evaluate("getComputedStyle(document.getElementById('login-section')).display");
        if (visible !== "none")
            throw new Error(`the log-in form is still shown (display: ${visible})`);
        return await page.text("who");
    });
    await step(`${options.service} is chosen: its documents are asked for`, async () => {
        const index = await page.evaluate(`[...document.getElementById('service').options]
            .findIndex((o) => o.dataset.code === ${JSON.stringify(options.service)})`);
        if (index < 0)
            throw new Error(`${options.service} is not offered`);
        await page.set("service", String(index));
        const types = await page.evaluate("[...document.querySelectorAll('#documents label')].map((l) => l.dataset.type).join(',')");
        for (const type of [...complete, "power-of-attorney"])
            if (!types.split(",").includes(type))
                throw new Error(`no file input for ${type} (${types})`);
        return types;
    });
    await step("the externat permit asks for its form; left empty, each required field is named", async () => {
        const index = await page.evaluate(`[...document.getElementById('service').options]
            .findIndex((o) => o.dataset.code === ${JSON.stringify(options["form-service"])})`);
        if (index < 0)
            throw new Error(`${options["form-service"]} is not offered`);
        await page.set("service", String(index));
        const fields = await page.evaluate("[...document.querySelectorAll('#form-fields [id^=field-]')].map((f) => f.id).join(',')");
        if (!/field-child_iin/.test(fields) || !/field-reason/.test(fields))
            throw new Error(`the form's fields are not asked: ${fields}`);
        await page.set("applicant-iin", options.applicant);
        await page.evaluate("document.getElementById('consent').checked = true");
        for (const type of ["application", "identity-document", "reason-document"])
            await page.pick(`#doc-${type}`, scan(type));
        await page.evaluate("document.getElementById('message').textContent = ''");
        await page.evaluate("document.getElementById('application-form').noValidate = true");
        await page.click("submit");
        return await page.until("the form's refusal", `(() => { const box = document.getElementById('refused');
            const named = box && [...box.querySelectorAll('[data-field]')].map((li) => li.dataset.field);
            return box && box.dataset.code === 'INVALID_FORM' && named.includes('form.child_iin')
                && named.includes('form.reason') && named.join(','); })()`);
    });
    await step(`${options.service} again`, async () => {
        const index = await page.evaluate(`[...document.getElementById('service').options]
            .findIndex((o) => o.dataset.code === ${JSON.stringify(options.service)})`);
        await page.set("service", String(index));
        await page.evaluate("document.getElementById('application-form').noValidate = false");
        return options.service;
    });
    await step("Condition 1: an applicant the registry of individuals does not know is refused, with the registry's answer", async () => {
        await fill(options.stranger, complete);
        await submitted("the refusal");
        return await page.until("the details", `(() => { const box = document.getElementById('refused');
            return box && box.dataset.code === 'DATA_NOT_AVAILABLE' && /gbdfl/.test(box.textContent)
                && /NOT_FOUND/.test(box.textContent) && /[0-9a-f-]{36}/.test(box.textContent) && box.textContent; })()`);
    });
    let refusalNumber;
    await step("an incomplete package is refused, naming the missing document; its refusal receipt prints", async () => {
        await fill(options.applicant, incomplete);
        await submitted("the refusal");
        refusalNumber = await page.until("the refusal receipt", `(() => { const box = document.getElementById('refused');
            const number = box && box.textContent.match(/(SC|[0-9]{9}-OF)-R-[0-9]{4}-[0-9]{6}/);
            return box && box.dataset.code === 'INCOMPLETE_DOCUMENTS' && number && number[0]; })()`);
        await page.click("print-refusal");
        await page.until("the printed refusal receipt", `!document.getElementById('print-area').hidden
            && document.querySelector('#print-area .printed').textContent.includes(${JSON.stringify(refusalNumber)})`);
        await page.screenshot("desk-refusal-receipt");
        await page.click("print-close");
        return refusalNumber;
    });
    let receipt;
    await step("the complete package is accepted with an acceptance receipt and the term", async () => {
        await fill(options.applicant, complete);
        const said = await submitted("the acceptance");
        const match = said.match(/^Accepted: ((?:SC|[0-9]{9}-OF)-[0-9]{4}-[0-9]{6}), the result is due (.+)\.$/);
        if (!match)
            throw new Error(`the page says: ${said}`);
        if (/T\d\d:\d\d/.test(match[2]))
            throw new Error(`the term is not a human date: ${match[2]}`);
        receipt = match[1];
        await page.screenshot("desk-accepted");
        return said;
    });
    await step("the acceptance receipt prints with the package as accepted", async () => {
        await page.click("print-receipt");
        return await page.until("the printed receipt", `(() => { const text = !document.getElementById('print-area').hidden
            && document.querySelector('#print-area .printed').textContent;
            return text && text.includes(${JSON.stringify(receipt)}) && text.includes(${JSON.stringify(complete.at(-1))}) && ${JSON.stringify(receipt)}; })()`);
    });
    await step("the application opens: its facts and its journey so far", async () => {
        await page.click("open-accepted");
        return await page.until("the application", `(() => { const status = document.getElementById('detail').dataset.status;
            return /ACCEPTED|SENT|REGISTERED|IN_PROGRESS|READY/.test(status)
                && document.querySelectorAll('#detail .timeline li').length >= 3 && status; })()`, 30);
    });
    await step("the simulated clock runs until the provider's signed result is at the desk", async () => {
        for (let day = 0; day < 40; day++) {
            if (await page.evaluate("document.getElementById('detail').dataset.status === 'READY'"))
                break;
            execSync(options.advance, { stdio: "ignore" });
            await new Promise((resolve) => setTimeout(resolve, 400));
            await page.click("refresh");
            await new Promise((resolve) => setTimeout(resolve, 300));
        }
        return await page.until("the result", `(() => { const result = document.getElementById('result');
            return document.getElementById('detail').dataset.status === 'READY' && result
                && /approved/.test(result.querySelector('h3').textContent)
                && /valid \\(checked by the desk\\)/.test(result.textContent) && result.textContent; })()`, 20);
    });
    await step("the journey is a timeline of human dates on the simulated clock", async () => {
        const entries = await page.evaluate("[...document.querySelectorAll('#detail .timeline li')].map((li) => li.textContent)");
        if (entries.length < 5)
            throw new Error(`only ${entries.length} steps: ${entries.join(" | ")}`);
        const raw = entries.find((entry) => /\d{4}-\d\d-\d\dT/.test(entry));
        if (raw)
            throw new Error(`a raw ISO time: ${raw}`);
        for (const status of ["ACCEPTED", "REGISTERED", "READY"])
            if (!entries.some((entry) => entry.toUpperCase().includes(status.replace(/_/g, " "))))
                throw new Error(`no ${status} in the timeline`);
        await page.screenshot("desk-result");
        return `${entries.length} steps, the first: ${entries[0]}`;
    });
    await step("the provider's result prints for the applicant", async () => {
        await page.click("print-result");
        return await page.until("the printed result", `(() => { const text = !document.getElementById('print-area').hidden
            && document.querySelector('#print-area .printed').textContent;
            return text && /Decision\s*approved/.test(text) && text.includes(${JSON.stringify(receipt)})
                && text.match(/Decision\s*approved/)[0]; })()`);
    });
    await step("the application is found by its receipt number", async () => {
        await page.click("tab-find");
        await page.set("find-receipt", receipt);
        await page.click("find");
        return await page.until("the row", `(() => { const rows = document.querySelectorAll('#applications tbody tr');
            return rows.length === 1 && rows[0].dataset.status === 'READY' && rows[0].textContent; })()`);
    });
    await step("an identity document that is not the applicant's is refused at the hand-over", async () => {
        await page.evaluate("document.querySelector('#applications tbody tr').click(), true");
        await page.until("the hand-over form", "!document.getElementById('handover-box').hidden");
        await page.set("handover-receipt", receipt);
        await page.set("handover-document", "000000000");
        await page.click("handover");
        return await page.until("the refusal", `/^Hand-over refused: IDENTITY_NOT_CONFIRMED/.test(${message}) && ${message}`);
    });
    await step("the applicant's ID card and receipt: the result is handed over (ISSUED)", async () => {
        await page.set("handover-document", options["id-card"]);
        await page.click("handover");
        await page.until("the hand-over", `/^Issued: /.test(${message})`);
        return await page.until("the status", "document.getElementById('detail').dataset.status === 'ISSUED' && document.getElementById('detail').dataset.status");
    });
    await step("logging out forgets the session", async () => {
        await page.click("logout");
        await page.open(options.base + "/");
        await page.until("the page's script", "window.deskReady === true");
        const shown = await page.evaluate("getComputedStyle(document.getElementById('login-section')).display !== 'none' && document.getElementById('tabs').hidden");
        if (!shown)
            throw new Error("the desk is still logged in");
        return "the log-in form is back";
    });
});
