// The portal's reference frontend in headless Chromium (cdp.mjs drives it over the
// DevTools protocol on a pipe: no WebSocket, no npm packages). The page speaks
// Kazakh, Russian and English and remembers the choice; a citizen registers, logs in
// (the account forms are gone then), fills in school-admission for a child the
// registry links to them, picks the PEM key and certificate files, signs in the page
// (WebCrypto + the page's own CMS encoder) and submits; the simulation clock moves on
// (egovctl clock advance) until the provider's result is in the cabinet: the statuses
// as a timeline, the result as a document, human dates only, the notifications; the
// document, its signature and the printable pages are downloaded into DIR/downloads
// for egovctl verify. Screenshots (the account forms and the cabinet in each language,
// the result) are saved as DIR/NAME.png.
//
//   node portal-test.mjs --base URL --iin IIN --child IIN --key FILE --cert FILE
//        --egovctl PATH [--password P] [--chromium PATH] [--profile DIR] [--timeout S]
// Prints one line per step; exits 0 when every step passed.
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { Browser, options as parse } from "./cdp.mjs";

const options = parse({ password: "Browser2026" }, ["base", "iin", "child", "key", "cert", "egovctl"], "portal-test");
const browser = await Browser.launch(options);
const profile = browser.profile;
const downloads = path.join(profile, "downloads");
const step = (name, action) => browser.step(name, action);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A date or moment as the API writes them, which the page must never show.
const ISO = /\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}|T\d{2}:\d{2}/;
const MONTHS = {
    en: "January|February|March|April|May|June|July|August|September|October|November|December",
    ru: "января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря",
    kk: "қаңтар|ақпан|наурыз|сәуір|мамыр|маусым|шілде|тамыз|қыркүйек|қазан|қараша|желтоқсан",
};

// The text a user sees in the element: innerText (nothing hidden).
const seen = (selector) => `(document.querySelector(${JSON.stringify(selector)})?.innerText || '')`;

// True in the page when the element takes no room on screen (computed style, not the attribute).
const invisible = (id) => `(() => { const e = document.getElementById(${JSON.stringify(id)});
    const box = e.getBoundingClientRect();
    return getComputedStyle(e).display === 'none' || e.offsetParent === null && box.width === 0 && box.height === 0; })()`;

// Saves a PNG of one element (scrolled into view) as DIR/NAME.png.
async function shootElement(page, name, selector) {
    const rect = await page.evaluate(`(() => { const e = document.querySelector(${JSON.stringify(selector)});
        if (!e) return null; e.scrollIntoView(); const r = e.getBoundingClientRect();
        return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height }; })()`);
    if (!rect)
        throw new Error(`no ${selector} to take a picture of`);
    const shot = await page.send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true,
                                                              clip: { ...rect, scale: 1 } });
    const file = path.join(profile, `${name}.png`);
    fs.writeFileSync(file, Buffer.from(shot.data, "base64"));
    return file;
}

// Switches the page's language with its switcher.
async function speak(page, language) {
    await page.click(`lang-${language}`);
    await page.until(`the page in ${language}`, `document.documentElement.lang === ${JSON.stringify(language)}`);
}

// Waits until a file of this name is completely downloaded; its size.
async function downloaded(name, seconds = 15) {
    const file = path.join(downloads, name);
    for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline; await sleep(200))
        if (fs.existsSync(file) && !fs.existsSync(file + ".crdownload") && fs.statSync(file).size > 0)
            return fs.statSync(file).size;
    throw new Error(`${name} was not downloaded into ${downloads}`);
}

await browser.run(async (page) => {
    try {
        await script(page);
    }
    catch (error) {
        await page.screenshot("failure").catch(() => {});
        throw error;
    }
});

async function script(page) {
    await step("the page loads from the portal, in the browser's language (English)", async () => {
        await page.open(options.base + "/");
        await page.until("the page's script", "window.portalReady === true && typeof Cms === 'object' && typeof I18n === 'object'");
        await page.until("English", "document.documentElement.lang === 'en' && " + seen("#login-form h2") + " === 'Log in'");
        return await page.evaluate("document.title");
    });
    await step("it speaks Kazakh", async () => {
        await speak(page, "kk");
        await page.until("Kazakh words", `${seen("#login-form h2")} === 'Кіру' && ${seen("#register-form h2")} === 'Тіркелу'
            && ${seen("#register")} === 'Қол қойып, тіркелу' && document.title.startsWith('Электрондық үкімет порталы')`);
        await page.screenshot("account-kk");
        return await page.evaluate(seen("#account h2"));
    });
    await step("... and remembers the choice when the page is opened again", async () => {
        await page.open(options.base + "/");
        await page.until("the page again", "window.portalReady === true");
        return await page.until("Kazakh", `document.documentElement.lang === 'kk' && ${seen("#login-form h2")} === 'Кіру'
            && localStorage.getItem('egov-portal-language')`);
    });
    await step("it speaks Russian", async () => {
        await speak(page, "ru");
        await page.until("Russian words", `${seen("#login-form h2")} === 'Вход' && ${seen("#register-form h2")} === 'Регистрация'
            && ${seen("#register")} === 'Подписать и зарегистрироваться'`);
        await page.screenshot("account-ru");
        return await page.evaluate(seen("#account h2"));
    });
    await step("the citizen registers in English, signing the portal's challenge in the page", async () => {
        await speak(page, "en");
        await page.screenshot("account-en");
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
    await step("the register and log-in forms are gone from the screen", async () => {
        for (const id of ["account", "register-form", "login-form", "login", "register"])
            if (!await page.evaluate(invisible(id)))
                throw new Error(`#${id} is still shown (display: ${await page.evaluate(`getComputedStyle(document.getElementById('${id}')).display`)})`);
        if (await page.evaluate(invisible("cabinet")) || await page.evaluate(invisible("logout")))
            throw new Error("the cabinet or the log-out button is not shown");
        return "display: " + await page.evaluate("getComputedStyle(document.getElementById('account')).display");
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
        return await page.evaluate(seen("#service-info"));
    });
    await step("the request is signed in the page with the picked key and certificate, and accepted", async () => {
        await page.pick("#key-file", options.key);
        await page.pick("#cert-file", options.cert);
        await page.click("sign-submit");
        const message = await page.until("the acceptance", "/^Accepted: /.test(document.getElementById('message').textContent) && document.getElementById('message').textContent");
        if (ISO.test(message))
            throw new Error(`the message shows a raw date: ${message}`);
        return message;
    });
    await step("the cabinet shows the application, registered by the regional gateway", async () => {
        return await page.until("the registration", `(() => { const row = document.querySelector('#applications tbody tr.application');
            return row && /REGISTERED|IN_PROGRESS|READY/.test(row.dataset.status) && row.innerText; })()`, 30);
    });
    await step("the notifications say when the result will be ready", async () => {
        return await page.until("the accepted notice", "[...document.querySelectorAll('#notifications li')].map((li) => li.innerText).find((t) => /is accepted. The result will be ready by/.test(t))");
    });
    await step("the application's history opens", async () => {
        await page.evaluate("document.querySelector('#applications tbody tr.application').click(), true");
        return await page.until("the history", "document.querySelectorAll('#detail .history li').length >= 3 && document.querySelector('#detail h4').innerText");
    });
    await step("the provider decides while the simulation clock moves on a working day at a time", async () => {
        const status = "document.querySelector('#applications tbody tr.application')?.dataset.status";
        for (let day = 0; day < 20; day++) {
            if (await page.evaluate(status) === "READY")
                return `READY after ${day} working day(s)`;
            execFileSync(options.egovctl, ["clock", "advance", "1wd"], { stdio: "ignore" });
            await sleep(2500);          // the cabinet refreshes every 2 s
        }
        throw new Error(`still ${await page.evaluate(status)} after 20 working days`);
    });
    await step("the timeline shows the statuses the application passed", async () => {
        await page.until("the result in the detail", "document.querySelector('#detail .card')?.dataset.status === 'READY'");
        const statuses = await page.evaluate("[...document.querySelectorAll('#detail .history li')].map((li) => li.dataset.status).join(' ')");
        if (!/ACCEPTED.*SENT.*REGISTERED.*IN_PROGRESS.*READY/.test(statuses))
            throw new Error(`the timeline has ${statuses}`);
        const words = await page.evaluate("[...new Set([...document.querySelectorAll('#detail .history li .badge')].map((b) => b.innerText))].join(', ')");
        if (words !== "Accepted, Sent, Registered, In progress, Result ready")
            throw new Error(`the timeline's statuses read: ${words}`);
        const stages = await page.evaluate("[...document.querySelectorAll('#detail ol.stages li')].map((li) => li.className).join(' ')");
        if (stages !== "done done done done current")
            throw new Error(`the steps are ${stages}`);
        return words;
    });
    await step("the result reads as a document: decision, what is issued, who signed, when", async () => {
        const text = await page.evaluate(seen("#result-document"));
        for (const [what, pattern] of [
                ["its title", /The result of the public service No \d+-OUT-\d{4}-\d+/],
                ["the decision", /Decision\s+Approved/],
                ["what is issued", /Issued\s+receipt that the documents were accepted/],
                ["the signer", /Signed by\s+\S+/],
                ["when", new RegExp(`Decided\\s+\\d{1,2} (${MONTHS.en}) \\d{4} at \\d{2}:\\d{2}`)],
                ["the signature's check", /E-signature on arrival\s+valid/]])
            if (!pattern.test(text))
                throw new Error(`the result does not show ${what}: ${text}`);
        if (/[{}"]/.test(text))
            throw new Error(`the result shows JSON: ${text}`);
        await shootElement(page, "result", "#detail .card");
        return text.split("\n")[0];
    });
    await step("the cabinet shows dates in words on the simulation clock, never raw ISO", async () => {
        const text = await page.evaluate(`${seen("#cabinet")} + '\\n' + ${seen("#message")} + '\\n' + ${seen("header")}`);
        const raw = ISO.exec(text);
        if (raw)
            throw new Error(`the page shows "${raw[0]}" in: ${text.slice(Math.max(0, raw.index - 80), raw.index + 40)}`);
        if (!/on the simulation clock/.test(text))
            throw new Error("the cabinet does not say which clock its times are on");
        const human = new RegExp(`\\d{1,2} (${MONTHS.en}) \\d{4} at \\d{2}:\\d{2}`).exec(text);
        if (!human)
            throw new Error("no date in words in the cabinet");
        return human[0];
    });
    await step("the document, its signature and the printable pages download", async () => {
        fs.mkdirSync(downloads, { recursive: true });
        await browser.send("Browser.setDownloadBehavior", { behavior: "allow", downloadPath: downloads });
        const number = await page.evaluate("document.querySelector('#result-document h5').innerText.replace(/^.* No /, '')");
        const names = { "download-result": `${number}.json`, "download-signature": `${number}.sig`,
                        "download-result-page": `result-${number}.html` };
        const receipt = await page.evaluate("document.querySelector('#detail .card h4').innerText.replace(/^Request (\\S+).*$/s, '$1')");
        names["download-receipt"] = `receipt-${receipt}.html`;
        const sizes = [];
        for (const [button, name] of Object.entries(names)) {
            await page.click(button);
            sizes.push(`${name} (${await downloaded(name)} bytes)`);
        }
        const hint = await page.evaluate(seen("#result-document code"));
        if (hint !== `egovctl verify --content ${names["download-result"]} ${names["download-signature"]}`)
            throw new Error(`the page says to check with: ${hint}`);
        return sizes.join(", ");
    });
    await step("the notifications read in words, the newest first", async () => {
        const items = await page.evaluate("[...document.querySelectorAll('#notifications li')].map((li) => li.dataset.kind + ' ' + li.innerText)");
        if (!/^RESULT \d{1,2} \S+ \d{4} at \d{2}:\d{2} The result of your request PORTAL-\d{4}-\d+ is ready in your cabinet\.$/.test(items[0]))
            throw new Error(`the newest notice reads: ${items[0]}`);
        if (items.some((item) => ISO.test(item)))
            throw new Error(`a notice shows a raw date: ${items.join(" | ")}`);
        return items.length + " notices";
    });
    await step("the cabinet in Kazakh", async () => {
        await speak(page, "kk");
        const text = await page.until("Kazakh words", `(() => { const t = ${seen("#cabinet")};
            return /Жеке кабинет/.test(t) && /Мемлекеттік қызмет көрсету нәтижесі №/.test(t) && /Нәтиже дайын/.test(t) && t; })()`);
        const date = new RegExp(`\\d{4} ж\\. \\d{1,2} (${MONTHS.kk}), \\d{2}:\\d{2}`).exec(text);
        if (!date || ISO.test(text))
            throw new Error("the Kazakh cabinet has no date in Kazakh words, or a raw one");
        if (!/Бастауыш, негізгі орта/.test(text))
            throw new Error("the service is not named in Kazakh");
        await page.screenshot("cabinet-kk");
        await shootElement(page, "result-kk", "#detail .card");
        return date[0];
    });
    await step("the cabinet in Russian", async () => {
        await speak(page, "ru");
        const text = await page.until("Russian words", `(() => { const t = ${seen("#cabinet")};
            return /Личный кабинет/.test(t) && /Результат оказания государственной услуги №/.test(t) && /Результат готов/.test(t) && t; })()`);
        const date = new RegExp(`\\d{1,2} (${MONTHS.ru}) \\d{4} г\\.`).exec(text);
        if (!date || ISO.test(text))
            throw new Error("the Russian cabinet has no date in Russian words, or a raw one");
        if (!/Прием документов и зачисление/.test(text))
            throw new Error("the service is not named in Russian");
        await page.screenshot("cabinet-ru");
        return date[0];
    });
    await step("the cabinet in English", async () => {
        await speak(page, "en");
        await page.until("English words", `/Personal cabinet/.test(${seen("#cabinet")})`);
        return await page.screenshot("cabinet-en");
    });
}
