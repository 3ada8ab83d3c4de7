// app.js — the reference frontend of the citizen portal: register, log in,
// fill in a service's form, attach electronic copies, sign the request in
// the page (cms.js) and submit it, then watch the personal cabinet. Plain
// JavaScript against the portal's HTTP/JSON API (/api/v1/openapi.json).
"use strict";

const state = { token: null, iin: null, services: [], me: null, selected: null, timer: null };
const $ = (id) => document.getElementById(id);

// Shows a message; error true paints it as one.
function say(text, error) {
    const message = $("message");
    message.textContent = text;
    message.className = error ? "error" : "";
}

// Calls the API; resolves to {status, body}.
async function api(method, path, body) {
    const headers = { "Content-Type": "application/json" };
    if (state.token)
        headers.Authorization = "Bearer " + state.token;
    const response = await fetch("/api/v1" + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    let json = null;
    try { json = await response.json(); } catch (ignored) { json = null; }
    return { status: response.status, body: json };
}

// "CODE: message" of an error answer.
function failure(answer) {
    const error = answer.body && answer.body.error;
    return error ? error.code + ": " + error.message : "HTTP " + answer.status;
}

// Makes an element with text.
function make(tag, text, attributes) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null)
        node.textContent = String(text);
    for (const [key, value] of Object.entries(attributes || {}))
        node.setAttribute(key, value);
    return node;
}

// Signs bytes in the page with the picked PEM key and certificate: the CMS
// signature, or null after saying why not.
async function signIn(bytes, keyBytes, certBytes) {
    try {
        const decoder = new TextDecoder();
        return await Cms.sign(bytes, decoder.decode(keyBytes), decoder.decode(certBytes), new Date());
    }
    catch (error) {
        say("Signing failed: " + error.message, true);
        return null;
    }
}

async function onRegister(event) {
    event.preventDefault();
    const iin = $("register-iin").value.trim();
    const keyBytes = await fileBytes($("register-key-file")), certBytes = await fileBytes($("register-cert-file"));
    if (!keyBytes || !certBytes) {
        say("Pick your private key and certificate files: registration is signed with them.", true);
        return;
    }
    // The portal's challenge, signed as it comes: that proves the IIN is the signer's
    const challenge = await api("GET", "/citizens/challenge");
    if (challenge.status !== 200) {
        say(failure(challenge), true);
        return;
    }
    const bytes = Uint8Array.from(atob(challenge.body.document), (c) => c.charCodeAt(0));
    const signature = await signIn(bytes, keyBytes, certBytes);
    if (!signature)
        return;
    const answer = await api("POST", "/citizens", { iin, password: $("register-password").value,
                                                    document: challenge.body.document,
                                                    signature: Cms.base64(signature) });
    if (answer.status === 201) {
        say("Registered: " + answer.body.name + ". Log in now.");
        $("login-iin").value = iin;
    }
    else
        say(failure(answer), true);
}

async function onLogin(event) {
    event.preventDefault();
    const iin = $("login-iin").value.trim();
    const answer = await api("POST", "/login", { iin, password: $("login-password").value });
    if (answer.status !== 200) {
        say(failure(answer), true);
        return;
    }
    state.token = answer.body.token;
    state.iin = iin;
    $("login-password").value = "";
    const me = await api("GET", "/me");
    state.me = me.status === 200 ? me.body : { name: iin, children: [] };
    $("who").textContent = "Logged in: " + state.me.name + " (IIN " + iin + "), until " + answer.body.expires_at;
    $("account").hidden = true;
    $("apply").hidden = false;
    $("cabinet").hidden = false;
    $("logout").hidden = false;
    say("Logged in.");
    await loadServices();
    await refreshCabinet();
    state.timer = setInterval(refreshCabinet, 2000);
}

function onLogout() {
    clearInterval(state.timer);
    Object.assign(state, { token: null, iin: null, me: null, timer: null });
    $("who").textContent = "Not logged in.";
    $("account").hidden = false;
    $("apply").hidden = true;
    $("cabinet").hidden = true;
    $("logout").hidden = true;
    say("Logged out.");
}

async function loadServices() {
    const answer = await api("GET", "/services");
    state.services = answer.status === 200 ? answer.body.services : [];
    const select = $("service");
    select.replaceChildren();
    state.services.forEach((service, index) => {
        select.append(make("option", service.name.en + " — " + service.region_name.en,
                           { value: String(index), "data-code": service.code + "@" + service.region }));
    });
    renderForm();
}

// The input of one form field.
function fieldInput(field) {
    const id = "field-" + field.key;
    if (field.child) {
        const select = make("select", null, { id });
        for (const child of state.me.children || [])
            select.append(make("option", (child.name || child.iin) + " (" + child.iin + ")", { value: child.iin }));
        return select;
    }
    if (field.kind === "choice") {
        const select = make("select", null, { id });
        if (!field.required)
            select.append(make("option", "—", { value: "" }));
        for (const choice of field.choices)
            select.append(make("option", choice, { value: choice }));
        return select;
    }
    if (field.kind === "boolean")
        return make("input", null, { id, type: "checkbox" });
    if (field.kind === "integer")
        return make("input", null, { id, type: "number", min: field.min, max: field.max });
    if (field.kind === "date")
        return make("input", null, { id, type: "date" });
    return make("input", null, { id, type: "text", maxlength: field.max_length || 12 });
}

function renderForm() {
    const service = state.services[Number($("service").value)];
    state.selected = service || null;
    const fields = $("fields"), attachments = $("attachments");
    fields.replaceChildren(make("legend", "Form"));
    attachments.replaceChildren(make("legend", "Electronic copies of documents"));
    if (!service)
        return;
    $("service-info").textContent = "Provider: " + service.provider.en + ". Term: " + service.deadline +
        " from receipt (the portal receives round the clock; after hours it counts from the next working day).";
    for (const field of service.form) {
        const label = make("label", field.label + (field.required ? " *" : "") + " ");
        label.append(fieldInput(field));
        fields.append(label);
    }
    for (const document of service.documents) {
        if (document.from_registry) {
            attachments.append(make("p", document.en + ": taken from the registry of individuals", { class: "hint" }));
            continue;
        }
        const label = make("label", document.en + (document.when ? " (" + document.when + ")" : "") + " ");
        label.append(make("input", null, { id: "doc-" + document.type, type: "file", "data-type": document.type }));
        attachments.append(label);
    }
}

// The form's values as the service wants them.
function formValues(service) {
    const values = {};
    for (const field of service.form) {
        const input = $("field-" + field.key);
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

// A picked file's bytes, or null.
async function fileBytes(input) {
    const file = input && input.files && input.files[0];
    return file ? new Uint8Array(await file.arrayBuffer()) : null;
}

async function onSubmit(event) {
    event.preventDefault();
    const service = state.selected;
    $("errors").replaceChildren();
    if (!service)
        return;
    const keyBytes = await fileBytes($("key-file")), certBytes = await fileBytes($("cert-file"));
    if (!keyBytes || !certBytes) {
        say("Pick your private key and certificate files to sign with.", true);
        return;
    }
    const attachments = [];
    for (const input of $("attachments").querySelectorAll("input[type=file]")) {
        const bytes = await fileBytes(input);
        if (bytes)
            attachments.push({ type: input.dataset.type, name: input.files[0].name, content_base64: Cms.base64(bytes) });
    }
    // The exact bytes the citizen signs
    const document = { service: service.code, region: service.region, iin: state.iin,
                       form: formValues(service), attachments };
    const bytes = new TextEncoder().encode(JSON.stringify(document));
    const signature = await signIn(bytes, keyBytes, certBytes);
    if (!signature)
        return;
    say("Signed in the page; submitting…");
    const answer = await api("POST", "/applications", { document: Cms.base64(bytes), signature: Cms.base64(signature) });
    if (answer.status === 202) {
        say("Accepted: " + answer.body.receipt_number + ", the result will be ready by " + answer.body.result_due + ".");
        await refreshCabinet();
        return;
    }
    say(failure(answer), true);
    const fields = answer.body && answer.body.error && answer.body.error.fields;
    if (fields) {
        const list = make("ul");
        for (const item of fields)
            list.append(make("li", item.field + ": " + item.message + " (" + item.code + ")"));
        $("errors").append(list);
    }
}

async function refreshCabinet() {
    if (!state.token)
        return;
    const list = await api("GET", "/applications");
    if (list.status === 401) {
        onLogout();
        say("The session expired; log in again.", true);
        return;
    }
    const body = $("applications").tBodies[0];
    body.replaceChildren();
    for (const application of (list.body && list.body.applications) || []) {
        const row = make("tr", null, { class: "application", "data-id": application.id, "data-status": application.status });
        row.append(make("td", application.receipt_number), make("td", application.service_name),
                   make("td", application.subject ? application.subject.name + " (" + application.subject.iin + ")" : "—"),
                   make("td", application.status), make("td", application.result_due));
        row.addEventListener("click", () => showApplication(application.id));
        body.append(row);
    }
    const notifications = await api("GET", "/notifications");
    const ol = $("notifications");
    ol.replaceChildren();
    for (const notice of (notifications.body && notifications.body.notifications) || [])
        ol.append(make("li", notice.simulated_at + " — " + notice.text, { "data-kind": notice.kind }));
}

async function showApplication(id) {
    const answer = await api("GET", "/applications/" + id);
    const detail = $("detail");
    detail.replaceChildren();
    if (answer.status !== 200) {
        detail.append(make("p", failure(answer)));
        return;
    }
    const application = answer.body;
    detail.append(make("h4", application.receipt_number + " — " + application.status +
                       (application.registration_number ? " (registered " + application.registration_number + ")" : "")));
    const history = make("ol", null, { class: "history" });
    for (const step of application.history)
        history.append(make("li", step.simulated_at + " " + step.status + ": " + step.step + (step.actor ? " — " + step.actor : "") +
                            (step.note ? " (" + step.note + ")" : "")));
    detail.append(history);
    if (application.result) {
        const result = application.result;
        detail.append(make("p", (result.approved ? "Result" : "Motivated refusal") + " No " + result.number +
                            ", signed by " + result.signer + ": signature " + result.signature_outcome,
                            { id: "result-summary" }));
        detail.append(make("pre", JSON.stringify(result.document, null, 2)));
        detail.append(make("p", "Check it yourself: egovctl verify --content result.json result.sig", { class: "hint" }));
    }
}

document.addEventListener("DOMContentLoaded", () => {
    $("register-form").addEventListener("submit", onRegister);
    $("login-form").addEventListener("submit", onLogin);
    $("logout").addEventListener("click", onLogout);
    $("service").addEventListener("change", renderForm);
    $("application-form").addEventListener("submit", onSubmit);
    window.portalReady = true;
});
