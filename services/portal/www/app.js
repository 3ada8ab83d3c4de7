// app.js — the reference frontend of the citizen portal: register, log in,
// fill in a service's form, attach electronic copies, sign the request in
// the page (cms.js) and submit it, then follow the application in the
// personal cabinet: its history as a timeline, the provider's result as a
// document with the signed original and its signature to download, and the
// notifications. Plain JavaScript against the portal's HTTP/JSON API
// (/api/v1/openapi.json); every text comes from i18n.js.
"use strict";

const state = {
    token: null, iin: null, me: null,
    services: [],           // GET /api/v1/services
    selected: null,         // the service whose form is shown
    applications: [],       // the cabinet's list
    openId: null,           // the application shown in #detail
    openShown: null,        // what #detail shows of it, to redraw only on a change
    timer: null,            // the cabinet's refresh
    refreshing: false,      // a refresh is under way
    listShown: null,        // the list and the notifications as last drawn
    noticesShown: null,
};
const $ = (id) => document.getElementById(id);
const STAGES = ["ACCEPTED", "SENT", "REGISTERED", "IN_PROGRESS"];

// Makes an element with text and attributes.
function make(tag, text, attributes) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null)
        node.textContent = String(text);
    for (const [key, value] of Object.entries(attributes || {}))
        if (value !== undefined && value !== null)
            node.setAttribute(key, value);
    return node;
}

// Marks node with a dictionary key (and its arguments, and a fallback for
// a key the dictionary lacks) and writes its text in the current language;
// a change of language rewrites it (I18n.apply).
function localize(node, key, args, fallback) {
    node.dataset.i18n = key;
    if (args)
        node.dataset.i18nArgs = JSON.stringify(args);
    else
        delete node.dataset.i18nArgs;
    if (fallback !== undefined)
        node.dataset.i18nFallback = fallback;
    else
        delete node.dataset.i18nFallback;
    node.textContent = I18n.text(key, args || {}, fallback);
    return node;
}

// An element whose text is a dictionary entry.
function tr(tag, key, args, attributes, fallback) {
    return localize(make(tag, null, attributes), key, args, fallback);
}

// A <time> with a moment of the API in words.
function when(iso) {
    return tr("time", "value", { value: { date: iso } }, { datetime: iso });
}

// Shows a message from the dictionary; error true paints it as one.
function say(key, args, error) {
    const message = $("message");
    localize(message, key, args);
    message.className = error ? "error" : "";
}

// Calls the API; resolves to {status, body} (status 0 when unreachable).
async function api(method, path, body) {
    const headers = { "Content-Type": "application/json" };
    if (state.token)
        headers.Authorization = "Bearer " + state.token;
    let response;
    try {
        response = await fetch("/api/v1" + path, {
            method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    }
    catch (ignored) {
        return { status: 0, body: null };
    }
    let json = null;
    try { json = await response.json(); } catch (ignored) { json = null; }
    return { status: response.status, body: json };
}

// Says what went wrong with an answer: the dictionary's words for the
// code (the portal's own message for a code it does not know), and the code.
function sayFailure(answer) {
    const error = answer.body && answer.body.error;
    if (error && error.code)
        say("message.error", { text: { key: "error." + error.code, fallback: error.message || "" }, code: error.code }, true);
    else if (answer.status === 0)
        say("message.network", null, true);
    else
        say("message.http", { status: answer.status }, true);
}

// A service of the catalogue by code and region, or undefined.
function serviceOf(code, region) {
    return state.services.find((service) => service.code === code && service.region === region);
}

// The argument naming an application's service: the catalogue's names in
// three languages, else the name the cabinet gives.
function serviceName(application) {
    const service = serviceOf(application.service, application.region);
    return service ? { names: service.name } : application.service_name || application.service;
}

// A picked file's bytes, or null.
async function fileBytes(input) {
    const file = input && input.files && input.files[0];
    return file ? new Uint8Array(await file.arrayBuffer()) : null;
}

// Signs bytes in the page with the picked PEM key and certificate: the CMS
// signature, or null after saying why not.
async function signIn(bytes, keyBytes, certBytes) {
    try {
        const decoder = new TextDecoder();
        return await Cms.sign(bytes, decoder.decode(keyBytes), decoder.decode(certBytes), new Date());
    }
    catch (error) {
        say("message.signing-failed", { reason: error.message }, true);
        return null;
    }
}

// Bytes of base64 text.
function fromBase64(text) {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

// Hands bytes to the browser as a file to save under name.
function save(name, bytes, type) {
    const url = URL.createObjectURL(new Blob([bytes], { type }));
    const link = make("a", null, { href: url, download: name, hidden: "" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    say("message.saved", { file: name });
}

// A file name's safe form of a document number.
function fileName(text) {
    return String(text).replace(/[^A-Za-z0-9._-]+/g, "_");
}

// Fetches a printable page of the API with the session's token and saves it.
async function savePage(path, name) {
    let response;
    try {
        response = await fetch("/api/v1" + path, { headers: { Authorization: "Bearer " + state.token } });
    }
    catch (ignored) {
        say("message.network", null, true);
        return;
    }
    if (!response.ok) {
        let body = null;
        try { body = await response.json(); } catch (ignored) { body = null; }
        sayFailure({ status: response.status, body });
        return;
    }
    save(name, new Uint8Array(await response.arrayBuffer()), "text/html");
}

// ---------------------------------------------------------------------------
// Account

async function onRegister(event) {
    event.preventDefault();
    const iin = $("register-iin").value.trim();
    const keyBytes = await fileBytes($("register-key-file")), certBytes = await fileBytes($("register-cert-file"));
    if (!keyBytes || !certBytes) {
        say("message.keys-register", null, true);
        return;
    }
    // The portal's challenge, signed as it comes: that proves the IIN is the signer's
    const challenge = await api("GET", "/citizens/challenge");
    if (challenge.status !== 200) {
        sayFailure(challenge);
        return;
    }
    const signature = await signIn(fromBase64(challenge.body.document), keyBytes, certBytes);
    if (!signature)
        return;
    const answer = await api("POST", "/citizens", { iin, password: $("register-password").value,
                                                    document: challenge.body.document,
                                                    signature: Cms.base64(signature) });
    if (answer.status === 201) {
        say("message.registered", { name: answer.body.name });
        $("register-password").value = "";
        $("login-iin").value = iin;
    }
    else
        sayFailure(answer);
}

async function onLogin(event) {
    event.preventDefault();
    const iin = $("login-iin").value.trim();
    const answer = await api("POST", "/login", { iin, password: $("login-password").value });
    if (answer.status !== 200) {
        sayFailure(answer);
        return;
    }
    state.token = answer.body.token;
    state.iin = iin;
    $("login-password").value = "";
    const me = await api("GET", "/me");
    state.me = me.status === 200 ? me.body : { name: iin, children: [] };
    localize($("who"), "who.citizen", { name: state.me.name, iin });
    showSignedIn(true);
    say("message.logged-in");
    await loadServices();
    await refreshCabinet();
    state.timer = setInterval(refreshCabinet, 2000);
}

// Shows the cabinet and the application form, or the account forms.
function showSignedIn(signedIn) {
    $("account").hidden = signedIn;
    $("apply").hidden = !signedIn;
    $("cabinet").hidden = !signedIn;
    $("logout").hidden = !signedIn;
}

function onLogout() {
    clearInterval(state.timer);
    Object.assign(state, { token: null, iin: null, me: null, timer: null, applications: [],
                           openId: null, openShown: null, listShown: null, noticesShown: null });
    localize($("who"), "who.anonymous");
    $("applications").tBodies[0].replaceChildren();
    $("notifications").replaceChildren();
    $("detail").replaceChildren();
    showSignedIn(false);
    say("message.logged-out");
}

// ---------------------------------------------------------------------------
// The application form

async function loadServices() {
    const answer = await api("GET", "/services");
    state.services = answer.status === 200 && Array.isArray(answer.body.services) ? answer.body.services : [];
    const select = $("service");
    select.replaceChildren();
    state.services.forEach((service, index) => {
        select.append(tr("option", "service.option", { name: { names: service.name }, region: { names: service.region_name } },
                         { value: String(index), "data-code": service.code + "@" + service.region }));
    });
    renderForm();
}

// A form field's label: the dictionary's for a key it knows, else the
// label the API gives (one text, or {kk, ru, en}).
function fieldLabel(field) {
    const key = "field." + field.key;
    if (I18n.has(key) || typeof field.label !== "object" || field.label === null)
        return tr("span", key, null, null, String(field.label || field.key));
    return tr("span", "value", { value: { names: field.label } });
}

// The input of one form field; an unknown kind is a text field.
function fieldInput(field) {
    const id = "field-" + field.key;
    if (field.child) {
        const select = make("select", null, { id });
        for (const child of (state.me && state.me.children) || [])
            select.append(make("option", (child.name || child.iin) + " (" + child.iin + ")", { value: child.iin }));
        return select;
    }
    if (field.kind === "choice") {
        const select = make("select", null, { id });
        if (!field.required)
            select.append(make("option", "—", { value: "" }));
        for (const choice of Array.isArray(field.choices) ? field.choices : [])
            select.append(tr("option", `choice.${field.key}.${choice}`, null, { value: String(choice) }, String(choice)));
        return select;
    }
    if (field.kind === "boolean")
        return make("input", null, { id, type: "checkbox" });
    if (field.kind === "integer")
        return make("input", null, { id, type: "number", min: field.min, max: field.max });
    if (field.kind === "date")
        return make("input", null, { id, type: "date" });
    if (field.kind === "iin")
        return make("input", null, { id, type: "text", inputmode: "numeric", maxlength: 12 });
    return make("input", null, { id, type: "text", maxlength: field.max_length || 200 });
}

// The argument naming a document of the catalogue: the dictionary's name
// for its type, else the catalogue's English.
function documentName(paper) {
    return { key: "doc." + paper.type, fallback: paper.en || paper.type };
}

function renderForm() {
    const service = state.services[Number($("service").value)];
    state.selected = service || null;
    const fields = $("fields"), attachments = $("attachments");
    fields.replaceChildren(tr("legend", "form.legend"));
    attachments.replaceChildren(tr("legend", "attachments.legend"));
    $("errors").replaceChildren();
    if (!service) {
        $("service-info").replaceChildren();
        return;
    }
    localize($("service-info"), "service.info", { provider: { names: service.provider }, term: { term: service.deadline } });
    for (const field of Array.isArray(service.form) ? service.form : []) {
        const label = make("label");
        label.append(fieldLabel(field), field.required ? " * " : " ", fieldInput(field));
        fields.append(label);
    }
    for (const paper of Array.isArray(service.documents) ? service.documents : []) {
        const name = documentName(paper);
        if (paper.from_registry) {
            attachments.append(tr("p", "document.registry", { document: name }, { class: "hint" }));
            continue;
        }
        const label = make("label");
        const title = paper.when
            ? tr("span", "document.when", { document: name, when: { key: "when." + paper.type, fallback: paper.when } })
            : tr("span", "value", { value: name });
        label.append(title, " ", make("input", null, { id: "doc-" + paper.type, type: "file", "data-type": paper.type }));
        attachments.append(label);
    }
}

// The form's values as the service wants them.
function formValues(service) {
    const values = {};
    for (const field of service.form) {
        const input = $("field-" + field.key);
        if (!input)
            continue;
        if (field.kind === "boolean") {
            if (input.checked)
                values[field.key] = true;
            continue;
        }
        const text = input.value.trim();
        if (text === "")
            continue;
        values[field.key] = field.kind === "integer" && /^-?[0-9]+$/.test(text) ? Number(text) : text;
    }
    return values;
}

async function onSubmit(event) {
    event.preventDefault();
    const service = state.selected;
    $("errors").replaceChildren();
    if (!service)
        return;
    const keyBytes = await fileBytes($("key-file")), certBytes = await fileBytes($("cert-file"));
    if (!keyBytes || !certBytes) {
        say("message.keys", null, true);
        return;
    }
    const attachments = [];
    for (const input of $("attachments").querySelectorAll("input[type=file]")) {
        const bytes = await fileBytes(input);
        if (bytes)
            attachments.push({ type: input.dataset.type, name: input.files[0].name, content_base64: Cms.base64(bytes) });
    }
    // The exact bytes the citizen signs
    const request = { service: service.code, region: service.region, iin: state.iin,
                      form: formValues(service), attachments };
    const bytes = new TextEncoder().encode(JSON.stringify(request));
    const signature = await signIn(bytes, keyBytes, certBytes);
    if (!signature)
        return;
    say("message.submitting");
    const answer = await api("POST", "/applications", { document: Cms.base64(bytes), signature: Cms.base64(signature) });
    if (answer.status === 202 || answer.status === 200) {
        if (answer.body.duplicate)
            say("message.duplicate", { receipt: answer.body.receipt_number });
        else
            say("message.accepted", { receipt: answer.body.receipt_number, due: { date: answer.body.result_due } });
        await refreshCabinet();
        return;
    }
    sayFailure(answer);
    const fields = answer.body && answer.body.error && answer.body.error.fields;
    if (Array.isArray(fields)) {
        const list = make("ul");
        for (const item of fields) {
            const field = (service.form || []).find((candidate) => candidate.key === item.field);
            list.append(tr("li", "message.field", {
                field: field && I18n.has("field." + field.key) ? { key: "field." + field.key } : item.field,
                text: { free: item.message || "" }, code: item.code || "" }));
        }
        $("errors").append(list);
    }
}

// ---------------------------------------------------------------------------
// The cabinet

async function refreshCabinet() {
    if (!state.token || state.refreshing)
        return;
    state.refreshing = true;
    try {
        const list = await api("GET", "/applications");
        if (list.status === 401) {
            onLogout();
            say("message.expired", null, true);
            return;
        }
        // Redrawn only on a change, so that a row keeps its focus between refreshes
        if (list.status === 200 && JSON.stringify(list.body) !== state.listShown) {
            state.listShown = JSON.stringify(list.body);
            state.applications = Array.isArray(list.body.applications) ? list.body.applications : [];
            renderApplications();
        }
        const notifications = await api("GET", "/notifications");
        if (notifications.status === 200 && JSON.stringify(notifications.body) !== state.noticesShown) {
            state.noticesShown = JSON.stringify(notifications.body);
            renderNotifications(Array.isArray(notifications.body.notifications) ? notifications.body.notifications : []);
        }
        if (state.openId)
            await showApplication(state.openId, false);
    }
    finally {
        state.refreshing = false;
    }
}

// A status as a coloured badge.
function badge(status) {
    return tr("span", "status." + status, null, { class: "badge status-" + String(status).toLowerCase().replace(/_/g, "-") },
              String(status));
}

function renderApplications() {
    const body = $("applications").tBodies[0];
    body.replaceChildren();
    if (!state.applications.length) {
        const row = make("tr");
        row.append(tr("td", "applications.none", null, { colspan: 5, class: "hint" }));
        body.append(row);
        return;
    }
    for (const application of state.applications) {
        const row = make("tr", null, { class: "application", "data-id": application.id, "data-status": application.status,
                                       tabindex: 0 });
        if (application.id === state.openId)
            row.classList.add("open");
        row.append(make("td", application.receipt_number),
                   tr("td", "value", { value: serviceName(application) }),
                   application.subject ? tr("td", "subject", { name: application.subject.name, iin: application.subject.iin })
                                       : make("td", "—"),
                   cell(badge(application.status)),
                   application.result_due ? cell(when(application.result_due)) : make("td", "—"));
        row.addEventListener("click", () => showApplication(application.id, true));
        row.addEventListener("keydown", (event) => {
            if (event.key === "Enter" || event.key === " ") {
                event.preventDefault();
                showApplication(application.id, true);
            }
        });
        body.append(row);
    }
}

// The dictionary's key of a notice: by its status, or for a result or a refusal by its kind.
function noticeKey(notice) {
    if (notice.kind === "RESULT")
        return "notice.READY";
    if (notice.kind === "REFUSAL")
        return "notice.REFUSED";
    return "notice." + notice.status;
}

function renderNotifications(notifications) {
    const list = $("notifications");
    list.replaceChildren();
    if (!notifications.length) {
        list.append(tr("li", "notifications.none", null, { class: "hint" }));
        return;
    }
    // The newest first, as a citizen reads them
    for (const notice of notifications.slice().reverse()) {
        const application = state.applications.find((candidate) => candidate.id === notice.application_id);
        const item = make("li", null, { "data-kind": notice.kind, "data-status": notice.status });
        item.append(when(notice.simulated_at), " ",
                    tr("span", noticeKey(notice), {
                        receipt: notice.receipt_number,
                        service: application ? serviceName(application) : "",
                        ready: notice.ready_at ? { date: notice.ready_at } : "" }, { class: "text" }, notice.text));
        list.append(item);
    }
}

// A table cell holding node.
function cell(node) {
    const td = make("td");
    td.append(node);
    return td;
}

// A row of a definition table: the dictionary's label and a value node or text.
function row(table, key, value) {
    const line = make("tr");
    line.append(tr("th", key, null, { scope: "row" }), cell(value instanceof Node ? value : make("span", value)));
    table.append(line);
}

// The progress of an application through the statuses, as steps.
function stages(application) {
    const reached = new Set(application.history.map((step) => step.status));
    reached.add(application.status);
    const end = application.status === "REFUSED" ? "REFUSED" : "READY";
    const list = make("ol", null, { class: "stages" });
    for (const status of [...STAGES, end]) {
        const item = make("li", null, { "data-status": status });
        item.classList.add(status === application.status ? "current" : reached.has(status) ? "done" : "todo");
        item.append(tr("span", "status." + status));
        list.append(item);
    }
    return list;
}

// What a history line says happened, in the page's words for the steps it
// knows, with the portal's own text for one it does not.
function stepText(step) {
    const known = ["portal", "gateway", "regional-gateway", "clerk", "head", "executor", "provider"];
    if (!known.includes(step.role))
        return tr("span", "value", { value: { free: step.step || "" } }, { class: "what" });
    return tr("span", "step." + step.role, null, { class: "what", title: step.step || "" });
}

// A history line's note: a provider's task started or done in words; other
// notes of the steps the page describes itself are left out.
function stepNote(step) {
    const note = String(step.note || "");
    if (["clerk", "head", "executor"].includes(step.role)) {
        const started = /^task [0-9]+ started, due ([^;]+)/.exec(note);
        if (started)
            return tr("span", "task.started", { due: { date: started[1] } }, { class: "note" });
        if (/^done\b/.test(note))
            return tr("span", "task.done", null, { class: "note" });
    }
    if (["portal", "gateway", "regional-gateway", "provider"].includes(step.role) || !note)
        return null;
    return tr("span", "value", { value: { free: note } }, { class: "note" });
}

// The application's history as a timeline, the oldest first.
function timeline(application) {
    const list = make("ol", null, { class: "history" });
    for (const step of application.history) {
        const item = make("li", null, { "data-status": step.status, "data-role": step.role || "" });
        const head = make("div", null, { class: "when" });
        head.append(when(step.simulated_at), " ", badge(step.status));
        const body = make("div", null, { class: "what-who" });
        body.append(stepText(step));
        if (step.actor && !["gateway", "regional-gateway"].includes(step.role))
            body.append(" — ", make("span", step.actor, { class: "who" }));
        const note = stepNote(step);
        if (note)
            body.append(" · ", note);
        item.append(head, body);
        list.append(item);
    }
    return list;
}

// The grounds of a refusal: "code: text" lines, the codes the page knows in its words.
function groundItem(ground) {
    const match = /^([a-z0-9-]+): ?(.*)$/.exec(String(ground));
    if (!match || !I18n.has("ground." + match[1]))
        return tr("li", "value", { value: { free: ground } });
    const item = tr("li", "ground." + match[1]);
    const missing = /^missing (.+?)(?: \(Standard item 9\))?$/.exec(match[2]);
    if (missing) {
        const documents = missing[1].split(/, */).map((type) => ({ key: "doc." + type, fallback: type }));
        item.append("; ", tr("span", "ground.missing", { documents: { list: documents } }));
    }
    else if (match[2])
        item.append("; ", tr("span", "value", { value: { free: match[2] } }));
    return item;
}

// The provider's result as a document to read, with the signed original,
// its signature and the printable page to download.
function resultDocument(application) {
    const result = application.result;
    const content = result.document && typeof result.document === "object" ? result.document : {};
    const approved = result.approved === true;
    const article = make("article", null, { id: "result-document", class: "document " + (approved ? "approved" : "refused") });
    article.append(tr("h5", approved ? "result.title.approved" : "result.title.refused", { number: result.number }));
    const table = make("table", null, { class: "fields", id: "result-summary" });
    if (content.service_name)
        row(table, "result.service", tr("span", "value", { value: { names: content.service_name } }));
    if (content.provider)
        row(table, "result.provider", tr("span", "value", { value: { names: content.provider } }));
    if (content.applicant_name || content.applicant_iin)
        row(table, "result.applicant", tr("span", "subject", { name: content.applicant_name || "", iin: content.applicant_iin || "" }));
    row(table, "result.decision", tr("strong", approved ? "decision.approved" : "decision.refused", null, { class: "decision" }));
    if (approved && (content.kind || content.result))
        // The provider's own English words in English, the dictionary's name of the kind otherwise
        row(table, "result.issued", I18n.language() !== "en" && content.kind
            ? tr("span", "kind." + content.kind, null, null, content.result || content.kind)
            : tr("span", "value", { value: { free: content.result || content.kind } }));
    const grounds = Array.isArray(result.grounds) && result.grounds.length ? result.grounds : null;
    if (!approved && grounds) {
        const list = make("ul", null, { class: "grounds" });
        grounds.forEach((ground) => list.append(groundItem(ground)));
        row(table, "result.grounds", list);
    }
    if (result.decided_at)
        row(table, "result.decided", when(result.decided_at));
    if (application.registration_number)
        row(table, "result.registration", application.registration_number);
    row(table, "result.receipt", application.receipt_number);
    if (result.signer)
        row(table, "result.signer", result.signer);
    row(table, "result.signature", result.signature_outcome === "OK"
        ? tr("span", "signature.OK", null, { class: "valid" })
        : tr("span", "signature.other", { outcome: result.signature_outcome || "?" }, { class: "invalid" }));
    article.append(table);

    const base = fileName(result.number || application.receipt_number);
    const documentFile = base + ".json", signatureFile = base + ".sig";
    const actions = make("p", null, { class: "actions" });
    if (result.document_base64) {
        const button = tr("button", "download.document", null, { type: "button", id: "download-result" });
        button.addEventListener("click", () => save(documentFile, fromBase64(result.document_base64), "application/json"));
        actions.append(button);
    }
    if (result.signature_base64) {
        const button = tr("button", "download.signature", null, { type: "button", id: "download-signature" });
        // One line of base64, as signing components hand a signature over
        button.addEventListener("click", () => save(signatureFile, new TextEncoder().encode(result.signature_base64 + "\n"),
                                                    "application/pkcs7-signature"));
        actions.append(button);
    }
    const page = tr("button", "download.page", null, { type: "button", id: "download-result-page" });
    page.addEventListener("click", () => savePage(`/applications/${application.id}/result`, `result-${base}.html`));
    actions.append(page);
    article.append(actions);
    if (result.document_base64 && result.signature_base64) {
        const hint = make("p", null, { class: "hint" });
        hint.append(tr("span", "verify.hint"), " ",
                    make("code", `egovctl verify --content ${documentFile} ${signatureFile}`));
        article.append(hint);
    }
    return article;
}

// Shows an application in #detail; redraws only what changed unless asked.
async function showApplication(id, force) {
    const answer = await api("GET", "/applications/" + id);
    const detail = $("detail");
    if (answer.status !== 200) {
        sayFailure(answer);
        return;
    }
    const application = answer.body;
    const shown = JSON.stringify([application.status, application.history.length, !!application.result, application.overdue]);
    if (!force && state.openId === id && state.openShown === shown)
        return;
    state.openId = id;
    state.openShown = shown;
    for (const line of $("applications").tBodies[0].rows)
        line.classList.toggle("open", line.dataset.id === id);
    const card = make("div", null, { class: "card", "data-id": id, "data-status": application.status });
    const title = tr("h4", "detail.title", { receipt: application.receipt_number });
    title.append(" ", badge(application.status));
    card.append(title, stages(application));

    const facts = make("table", null, { class: "fields" });
    row(facts, "detail.service", tr("span", "value", { value: serviceName(application) }));
    if (application.subject)
        row(facts, "detail.for", tr("span", "subject", { name: application.subject.name, iin: application.subject.iin }));
    if (application.submitted_at)
        row(facts, "detail.submitted", when(application.submitted_at));
    if (application.received_at)
        row(facts, "detail.received", when(application.received_at));
    if (application.result_due)
        row(facts, "detail.due", when(application.result_due));
    if (application.registration_number)
        row(facts, "detail.registration", application.registration_number);
    card.append(facts);
    if (application.overdue)
        card.append(tr("p", "detail.overdue", null, { class: "warning" }));
    if (application.refusal_note)
        card.append(tr("p", "detail.refusal", { note: { free: application.refusal_note } }, { class: "warning" }));
    const receipt = tr("button", "download.receipt", null, { type: "button", id: "download-receipt" });
    receipt.addEventListener("click", () => savePage(`/applications/${id}/receipt`,
                                                     `receipt-${fileName(application.receipt_number)}.html`));
    card.append(make("p", null, { class: "actions" }));
    card.lastChild.append(receipt);

    if (application.result)
        card.append(resultDocument(application));
    card.append(tr("h5", "history.title"), timeline(application));
    detail.replaceChildren(card);
}

// ---------------------------------------------------------------------------

// Switches the page to a language and rewrites every text on it.
function choose(language) {
    I18n.setLanguage(language);
    I18n.apply(document);
    for (const button of document.querySelectorAll("#languages button"))
        button.setAttribute("aria-pressed", String(button.dataset.lang === language));
    // What depends on the language beyond the dictionary's texts
    if (state.openId && state.applications.length)
        showApplication(state.openId, true);
}

document.addEventListener("DOMContentLoaded", () => {
    for (const button of document.querySelectorAll("#languages button"))
        button.addEventListener("click", () => choose(button.dataset.lang));
    choose(I18n.initial());
    $("register-form").addEventListener("submit", onRegister);
    $("login-form").addEventListener("submit", onLogin);
    $("logout").addEventListener("click", onLogout);
    $("service").addEventListener("change", renderForm);
    $("application-form").addEventListener("submit", onSubmit);
    window.portalReady = true;
});
