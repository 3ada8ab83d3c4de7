// The State Corporation operator's desk: a page on the desk's own HTTP/JSON
// API (docs/intake.md, GET /api/v1/openapi.json) — log in, take an
// application with its scans and see each Condition 1 answer, print the
// receipts, find applications, follow one across the chain and hand the
// result over. Plain DOM: no inline code, no HTML built from strings that
// came from the network.
"use strict";
(() => {
    const $ = (id) => document.getElementById(id);
    const state = {
        token: sessionStorage.getItem("desk.token"),
        operator: JSON.parse(sessionStorage.getItem("desk.operator") || "null"),
        services: [],
        idempotency: null,          // the key of the package being taken
        after: null,                // the next page of the list
        current: null,              // the application shown
        poll: null,
    };
    const FINAL = ["ISSUED", "REFUSED", "RETURNED_TO_PROVIDER"];

    // An element with attributes and children (strings become text).
    function el(tag, attributes = {}, ...children) {
        const element = document.createElement(tag);
        for (const [name, value] of Object.entries(attributes))
            if (value !== undefined && value !== null && value !== false)
                element.setAttribute(name, value === true ? "" : String(value));
        for (const child of children.flat(Infinity))
            if (child !== undefined && child !== null)
                element.append(child instanceof Node ? child : String(child));
        return element;
    }
    const time = new Intl.DateTimeFormat("en-GB", {
        timeZone: "Asia/Almaty", day: "numeric", month: "short", year: "numeric",
        hour: "2-digit", minute: "2-digit" });
    // A simulated moment (ISO 8601 with offset) as people read it, Almaty time.
    const when = (iso) => iso ? time.format(new Date(iso)) : "—";
    // A note with the ISO 8601 moments in it written the same way.
    const humane = (text) => text.replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)/g, when);
    function say(text, kind = "info") {
        $("message").textContent = text;
        $("message").className = kind;
    }

    // One request to the desk's API: {status, body} (body parsed when JSON,
    // else the text). A 401 on a logged-in page ends the session.
    async function api(method, path, body, headers = {}) {
        const options = { method, headers: { ...headers } };
        if (state.token)
            options.headers.Authorization = "Bearer " + state.token;
        if (body !== undefined) {
            options.headers["Content-Type"] = "application/json";
            options.body = JSON.stringify(body);
        }
        let response;
        try {
            response = await fetch(path, options);
        }
        catch (error) {
            return { status: 0, body: { error: { code: "NETWORK", message: "the desk cannot be reached: " + error.message } } };
        }
        const type = response.headers.get("Content-Type") || "";
        const answer = { status: response.status,
                         body: type.includes("json") ? await response.json().catch(() => null) : await response.text() };
        if (response.status === 401 && state.token && !path.endsWith("/login")) {
            logOut();
            say("The session has ended: log in again.", "error");
        }
        return answer;
    }
    const errorOf = (answer) => (answer.body && answer.body.error) || { code: "HTTP_" + answer.status, message: "" };

    // ---------------------------------------------------------------------
    // Log-in
    function show() {
        const in_ = !!state.token;
        $("login-section").hidden = in_;
        $("tabs").hidden = !in_;
        $("logout").hidden = !in_;
        $("who").textContent = in_ && state.operator
            ? `Operator ${state.operator.name} (${state.operator.login}, IIN ${state.operator.iin})`
            : "Not logged in.";
        if (!in_) {
            for (const id of ["new-section", "find-section", "detail-section", "print-area"])
                $(id).hidden = true;
            return;
        }
        if ($("new-section").hidden && $("find-section").hidden && $("detail-section").hidden)
            tab("new-section");
        if (!state.services.length)
            loadServices();
    }
    async function logIn(event) {
        event.preventDefault();
        const answer = await api("POST", "/api/v1/operator/login",
                                 { login: $("login").value.trim(), password: $("password").value });
        if (answer.status !== 200) {
            const error = errorOf(answer);
            say(`Log-in refused: ${error.code} ${error.message}`, "error");
            return;
        }
        state.token = answer.body.token;
        state.operator = answer.body.operator;
        sessionStorage.setItem("desk.token", state.token);
        sessionStorage.setItem("desk.operator", JSON.stringify(state.operator));
        $("password").value = "";
        say(`Logged in as ${state.operator.name}.`);
        show();
    }
    function logOut() {
        state.token = null;
        state.operator = null;
        state.services = [];
        sessionStorage.removeItem("desk.token");
        sessionStorage.removeItem("desk.operator");
        clearInterval(state.poll);
        show();
    }
    function tab(id) {
        for (const section of ["new-section", "find-section", "detail-section"])
            $(section).hidden = section !== id;
        $("print-area").hidden = true;
        for (const button of document.querySelectorAll("#tabs button"))
            button.classList.toggle("current", button.dataset.tab === id);
        if (id !== "detail-section")
            clearInterval(state.poll);
        if (id === "find-section")
            find();
    }

    // ---------------------------------------------------------------------
    // Taking an application
    async function loadServices() {
        const answer = await api("GET", "/api/v1/services");
        if (answer.status !== 200) {
            say(`The catalogue could not be read: ${errorOf(answer).code}`, "error");
            return;
        }
        state.services = answer.body.services;
        // The same page serves the State Corporation's desk and a provider's office
        const desk = answer.body.desk;
        if (desk && desk.channel === "office") {
            const region = state.services[0]?.region_name?.en || desk.region;
            const provider = state.services[0]?.provider?.en || "the provider";
            document.title = `egov-sim — office of ${provider} (${desk.region})`;
            $("desk-name").textContent = `Көрсетілетін қызметті берушінің кеңсесі — ${provider}, ${region}`;
        }
        if (desk)
            $("desk-hours").textContent = `Open ${desk.hours} (simulated clock)`;
        const select = $("service");
        select.replaceChildren(...state.services.map((service, index) =>
            el("option", { value: index, "data-code": `${service.code}@${service.region}` },
               `${service.name.en} — ${service.region_name.en}`)));
        serviceChosen();
    }
    const service = () => state.services[Number($("service").value)];
    // The label of "form.KEY" in the chosen service's form.
    const formLabel = (path) => {
        const key = String(path).replace(/^form\./, "");
        const field = service() && (service().form || []).find((f) => f.key === key);
        return field ? field.label : key;
    };
    const documentName = (type) => {
        const found = service() && service().documents.find((d) => d.type === type);
        return found ? found.en : type === "power-of-attorney" ? "notarised power of attorney" : type;
    };
    // The chosen service's facts, form fields and one file input per document.
    function serviceChosen() {
        const chosen = service();
        state.idempotency = null;
        $("answer").replaceChildren();
        if (!chosen)
            return;
        $("service-info").replaceChildren(el("dl", {},
            el("dt", {}, "Provider"), el("dd", {}, chosen.provider?.en || chosen.provider_kind || "—"),
            el("dt", {}, "Term"), el("dd", {}, chosen.deadline || "—"),
            el("dt", {}, "Route to the provider"), el("dd", {}, chosen.route === "paper"
                ? "paper: register of packages and courier" : "electronic, through the gateway"),
            (chosen.windows || []).length ? [el("dt", {}, "Accepted"), el("dd", {},
                chosen.windows.map((w) => [w.from, w.to].filter(Boolean).join(" – ") + (w.study_form ? ` (${w.study_form})` : "")).join("; "))] : []));
        const fields = $("form-fields");
        fields.replaceChildren(el("legend", {}, "Form"));
        for (const field of chosen.form || [])
            fields.append(formField(field));
        fields.hidden = !(chosen.form || []).length;
        const documents = $("documents");
        documents.replaceChildren(el("legend", {}, "Scanned documents (Standard item 9)"));
        const types = [...chosen.documents, { type: "power-of-attorney", en: "notarised power of attorney", when: "a representative acts" }];
        for (const document_ of types) {
            const note = document_.when ? `required when ${document_.when}` : document_.required === false ? "optional" : "required";
            documents.append(el("label", { class: "document", "data-type": document_.type },
                el("span", {}, document_.en, " ", el("small", {}, `(${note})`)),
                el("input", { type: "file", id: `doc-${document_.type}` })));
        }
    }
    // An input for one field of the service's form (the catalogue's description).
    function formField(field) {
        const id = `field-${field.key}`;
        const label = field.label || field.key;
        let input;
        if (field.kind === "choice")
            input = el("select", { id }, el("option", { value: "" }, "—"),
                       (field.choices || []).map((choice) => el("option", { value: choice }, choice)));
        else if (field.kind === "boolean")
            return el("label", { class: "check" }, el("input", { type: "checkbox", id, "data-kind": "boolean" }), label);
        else
            input = el("input", { id, type: field.kind === "integer" ? "number" : field.kind === "date" ? "date" : "text",
                                  min: field.min, max: field.max, maxlength: field.kind === "iin" ? 12 : field.max_length,
                                  inputmode: field.kind === "iin" ? "numeric" : undefined });
        input.dataset.kind = field.kind;
        input.required = !!field.required;
        return el("label", {}, label + (field.required ? "" : " (optional)"), input);
    }
    const base64 = (file) => new Promise((resolve, reject) => {
        const reader = new FileReader();
        reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
        reader.onerror = () => reject(reader.error);
        reader.readAsDataURL(file);
    });
    async function submit(event) {
        event.preventDefault();
        const chosen = service();
        if (!chosen)
            return;
        const body = { service: chosen.code, region: chosen.region, applicant_iin: $("applicant-iin").value.trim(),
                       consent: $("consent").checked, documents: [] };
        if ($("represented").checked)
            body.representative = { iin: $("representative-iin").value.trim(), poa_number: $("poa-number").value.trim() };
        for (const input of document.querySelectorAll("#documents input[type=file]"))
            for (const file of input.files)
                body.documents.push({ type: input.id.slice(4), name: file.name, content_base64: await base64(file) });
        const form = {};
        for (const input of document.querySelectorAll("#form-fields input, #form-fields select")) {
            const key = input.id.slice(6);
            if (input.dataset.kind === "boolean")
                form[key] = input.checked;
            else if (input.value !== "")
                form[key] = input.dataset.kind === "integer" ? Number(input.value) : input.value.trim();
        }
        if ((chosen.form || []).length)
            body.form = form;
        // One key per package: a repeated click or a lost answer takes it once
        state.idempotency = state.idempotency || crypto.randomUUID();
        $("submit").disabled = true;
        say("Asking the registries…");
        const answer = await api("POST", "/api/v1/applications", body, { "Idempotency-Key": state.idempotency });
        $("submit").disabled = false;
        if (answer.status === 201 || answer.status === 200) {
            accepted(answer.body);
            state.idempotency = null;
        }
        else
            refused(answer);
    }
    function accepted(application) {
        const receipt = application.acceptance_receipt || { number: application.receipt_number,
            received_at: application.received_at, result_due: application.result_due };
        say(`Accepted: ${receipt.number}, the result is due ${when(receipt.result_due)}.`, "ok");
        $("answer").replaceChildren(el("div", { class: "accepted", id: "accepted" },
            el("h3", {}, `Accepted — receipt ${receipt.number}`),
            el("dl", {},
               el("dt", {}, "Received"), el("dd", {}, when(receipt.received_at)),
               el("dt", {}, "Result due"), el("dd", {}, when(receipt.result_due)),
               application.duplicate ? [el("dt", {}, "Note"), el("dd", {}, "taken once already: this is the same application")] : []),
            button("print-receipt", "Print the acceptance receipt", () => print(`/api/v1/applications/${application.id}/receipt`)),
            button("open-accepted", "Follow the application", () => open(application.id))));
    }
    // A refusal or an error, with everything the desk said about it.
    function refused(answer) {
        const error = errorOf(answer);
        say(`Refused: ${error.code}`, "error");
        const facts = [];
        const fact = (name, value) => value !== undefined && value !== null && facts.push(el("dt", {}, name), el("dd", {}, value));
        fact("Registry", error.registry);
        fact("About", error.subject);
        fact("Reason", error.reason);
        fact("Cause", error.cause);
        fact("Field", error.field);
        if (error.missing)
            fact("Missing", error.missing.map(documentName).join("; "));
        if (error.fields)
            fact("Form", el("ul", {}, error.fields.map((f) => el("li", { "data-field": f.field },
                `${formLabel(f.field)}: ${f.code} — ${f.message}`))));
        fact("Correlation id", error.correlation_id);
        const box = el("div", { class: "refused", id: "refused", "data-code": error.code },
            el("h3", {}, `${error.code}${answer.status ? ` (HTTP ${answer.status})` : ""}`),
            el("p", {}, error.message), el("dl", {}, facts));
        if (error.refusal_receipt)
            box.append(button("print-refusal", `Print refusal receipt ${error.refusal_receipt.number}`,
                () => print(`/api/v1/refusal-receipts/${encodeURIComponent(error.refusal_receipt.number)}`)));
        $("answer").replaceChildren(box);
    }
    function button(id, text, action) {
        const element = el("button", { type: "button", id }, text);
        element.addEventListener("click", action);
        return element;
    }

    // ---------------------------------------------------------------------
    // Finding applications
    async function find(event, more = false) {
        if (event)
            event.preventDefault();
        const query = new URLSearchParams({ limit: "20" });
        if ($("find-status").value)
            query.set("status", $("find-status").value);
        if ($("find-iin").value.trim())
            query.set("applicant_iin", $("find-iin").value.trim());
        if ($("find-receipt").value.trim())
            query.set("receipt_number", $("find-receipt").value.trim());
        if (more && state.after)
            query.set("after", state.after);
        const answer = await api("GET", "/api/v1/applications?" + query);
        if (answer.status !== 200) {
            const error = errorOf(answer);
            say(`Search refused: ${error.code} ${error.message}`, "error");
            return;
        }
        const rows = answer.body.applications.map((application) => {
            const row = el("tr", { "data-id": application.id, "data-status": application.status, tabindex: 0 },
                el("td", {}, application.receipt_number), el("td", {}, serviceName(application.service, application.region)),
                el("td", {}, `${application.applicant.name || ""} ${application.applicant.iin}`),
                el("td", {}, statusBadge(application.status, application.overdue)),
                el("td", {}, when(application.submitted_at)), el("td", {}, when(application.result_due)));
            row.addEventListener("click", () => open(application.id));
            row.addEventListener("keydown", (key) => key.key === "Enter" && open(application.id));
            return row;
        });
        const body = document.querySelector("#applications tbody");
        if (more)
            body.append(...rows);
        else
            body.replaceChildren(...rows);
        state.after = answer.body.next;
        $("more").hidden = !state.after;
        if (!more)
            say(rows.length ? `${rows.length}${state.after ? "+" : ""} application(s) found.` : "Nothing found.");
    }
    function serviceName(code, region) {
        const found = state.services.find((s) => s.code === code && s.region === region);
        return found ? found.name.en : code;
    }
    const statusBadge = (status, overdue) => el("span", { class: `status status-${status.toLowerCase()}` },
        status.replace(/_/g, " ").toLowerCase(), overdue ? el("strong", { class: "overdue" }, " overdue") : null);

    // ---------------------------------------------------------------------
    // One application
    async function open(id) {
        state.current = id;
        tab("detail-section");
        await refresh();
        clearInterval(state.poll);
        state.poll = setInterval(() => {
            if (!$("detail-section").hidden && state.current && !FINAL.includes($("detail").dataset.status))
                refresh();
        }, 2000);
    }
    async function refresh() {
        const answer = await api("GET", `/api/v1/applications/${encodeURIComponent(state.current)}`);
        if (answer.status !== 200) {
            say(`The application could not be read: ${errorOf(answer).code}`, "error");
            return;
        }
        const a = answer.body;
        $("detail-receipt").textContent = a.receipt_number;
        const facts = [];
        const fact = (name, value) => facts.push(el("dt", {}, name), el("dd", {}, value ?? "—"));
        fact("Status", statusBadge(a.status, a.overdue));
        fact("Service", serviceName(a.service, a.region));
        fact("Applicant", `${a.applicant.name || ""} (IIN ${a.applicant.iin})`);
        if (a.representative)
            fact("Representative", `${a.representative.name || ""} (IIN ${a.representative.iin}), power of attorney ${a.representative.poa_number}`);
        if (a.child)
            fact("Child", `${a.child.name || ""} (IIN ${a.child.iin})${a.child.birth_certificate ? ", birth certificate " + a.child.birth_certificate : ""}`);
        const filled = Object.entries(a.form || {});
        if (filled.length) {
            const known = (state.services.find((x) => x.code === a.service && x.region === a.region) || {}).form || [];
            fact("Form", el("ul", { class: "form-values" }, filled.map(([key, value]) => {
                const field = known.find((f) => f.key === key);
                return el("li", {}, `${field ? field.label : key}: ${value}`);
            })));
        }
        fact("Accepted by", a.operator);
        fact("Received", when(a.received_at));
        fact("Result due", when(a.result_due));
        fact("Registration number", a.registration_number);
        if (a.paper)
            fact("Paper route", `register ${a.paper.register_number}${a.paper.barcode ? `, barcode ${a.paper.barcode}` : ""}`);
        if (a.storage_until)
            fact("Kept until", when(a.storage_until));
        if (a.issued_to)
            fact("Issued to", a.issued_to);
        const parts = [el("dl", { class: "facts" }, facts)];
        if (a.result)
            parts.push(result(a.result));
        if (a.refusal)
            parts.push(el("div", { class: "refused" }, el("h3", {}, "Refused"),
                el("ul", {}, (a.refusal.grounds || []).map((g) => el("li", {}, g))), a.refusal.note ? el("p", {}, humane(a.refusal.note)) : null));
        parts.push(el("h3", {}, "Journey (simulated clock, Almaty time)"),
            el("ol", { class: "timeline" }, (a.history || []).map((entry) => el("li", { "data-status": entry.status || "" },
                el("time", { datetime: entry.simulated_at || "" }, when(entry.simulated_at)), " ",
                entry.status ? statusBadge(entry.status) : null, " ",
                el("span", {}, humane([entry.step, entry.role && `(${entry.role}${entry.actor ? ": " + entry.actor : ""})`, entry.note].filter(Boolean).join(" — ")))))));
        $("detail").replaceChildren(...parts);
        $("detail").dataset.status = a.status;
        $("handover-box").hidden = !["READY", "RETURNED_TO_PROVIDER"].includes(a.status);
        $("detail-actions").replaceChildren(
            button("print-detail-receipt", "Print the acceptance receipt", () => print(`/api/v1/applications/${a.id}/receipt`)),
            a.result ? button("print-result", "Print the result", () => print(`/api/v1/applications/${a.id}/result`)) : "",
            button("refresh", "Refresh", refresh));
    }
    // What the result document says, by the names people use; what the page
    // already shows (the applicant, the numbers, the signer) is not repeated.
    const RESULT_FIELDS = [["result", "Issued"], ["kind", "Kind of document"], ["outgoing_number", "Outgoing number"],
                           ["provider", "Provider"], ["standard", "Standard"], ["note", "Note"]];
    const RESULT_SHOWN = ["applicant_iin", "applicant_name", "application_id", "receipt_number", "region",
                          "registration_number", "service", "service_name", "signer", "decided_at", "decision", "grounds"];
    // A value of the document as text: a name in several languages by its English.
    const readable = (value) => value && typeof value === "object"
        ? (value.en || value.kk || value.ru || JSON.stringify(value)) : humane(String(value));
    // The provider's result as a document: decision, what it says, who signed.
    function result(r) {
        const document_ = r.document && typeof r.document === "object" ? r.document : {};
        const rows = RESULT_FIELDS.filter(([key]) => document_[key] !== undefined && document_[key] !== null)
            .map(([key, name]) => [el("dt", {}, name), el("dd", {}, readable(document_[key]))]);
        for (const [key, value] of Object.entries(document_))
            if (!RESULT_SHOWN.includes(key) && !RESULT_FIELDS.some(([known]) => known === key))
                rows.push([el("dt", {}, key.replace(/_/g, " ")), el("dd", {}, readable(value))]);
        return el("div", { class: r.approved ? "result approved" : "result refused", id: "result" },
            el("h3", {}, r.approved ? "Result: approved" : "Result: motivated refusal"),
            r.grounds && r.grounds.length ? el("ul", {}, r.grounds.map((g) => el("li", {}, g))) : null,
            el("dl", {}, rows,
               el("dt", {}, "Decided"), el("dd", {}, when(r.decided_at)),
               el("dt", {}, "Signed by"), el("dd", {}, r.signer || "—"),
               el("dt", {}, "E-signature"), el("dd", { class: r.signature === "OK" ? "ok" : "error" },
                   r.signature === "OK" ? "valid (checked by the desk)" : r.signature || "—")));
    }
    async function handOver(event) {
        event.preventDefault();
        $("handover").disabled = true;
        say("Checking the identity document in the registry of individuals…");
        // One key per hand-over as typed: a repeated click or a lost answer issues it once
        state.handoverKey = state.handoverKey || crypto.randomUUID();
        const answer = await api("POST", `/api/v1/applications/${encodeURIComponent(state.current)}/handover`,
            { receipt_number: $("handover-receipt").value.trim(), identity_document: $("handover-document").value.trim() },
            { "Idempotency-Key": state.handoverKey });
        if (answer.status !== 0)
            state.handoverKey = null;
        $("handover").disabled = false;
        if (answer.status === 200)
            say(`Issued: the result of ${$("detail-receipt").textContent} is handed over.`, "ok");
        else {
            const error = errorOf(answer);
            say(`Hand-over refused: ${error.code}${error.reason ? " " + error.reason : ""}${error.expired_on ? " (expired on " + error.expired_on + ")" : ""}${error.ready_by ? " — ready by " + when(error.ready_by) : ""}. ${error.message}`, "error");
        }
        refresh();
    }

    // ---------------------------------------------------------------------
    // Printing: the desk's printable page (an HTML document of its own) is
    // shown in the page as it will print, then printed or saved.
    async function print(path) {
        const answer = await api("GET", path);
        if (answer.status !== 200 || typeof answer.body !== "string") {
            say(`Nothing to print: ${errorOf(answer).code}`, "error");
            return;
        }
        const printed = new DOMParser().parseFromString(answer.body, "text/html");
        const area = $("print-area");
        const save = button("print-save", "Save as HTML", () => {
            const link = el("a", { href: URL.createObjectURL(new Blob([answer.body], { type: "text/html" })),
                                   download: path.split("/").filter(Boolean).slice(-2).join("-") + ".html" });
            link.click();
            setTimeout(() => URL.revokeObjectURL(link.href), 10000);
        });
        area.replaceChildren(el("div", { class: "print-tools" },
            button("print-now", "Print", () => window.print()), save,
            button("print-close", "Close", () => { area.hidden = true; })),
            el("article", { class: "printed" }, ...printed.body.childNodes));
        area.hidden = false;
        area.scrollIntoView();
    }

    // ---------------------------------------------------------------------
    document.addEventListener("DOMContentLoaded", () => {
        $("login-form").addEventListener("submit", logIn);
        $("logout").addEventListener("click", () => { logOut(); say("Logged out."); });
        for (const tabButton of document.querySelectorAll("#tabs button"))
            tabButton.addEventListener("click", () => tab(tabButton.dataset.tab));
        $("service").addEventListener("change", serviceChosen);
        $("represented").addEventListener("change", () => { $("representative").hidden = !$("represented").checked; });
        $("application-form").addEventListener("input", () => { state.idempotency = null; });
        $("handover-form").addEventListener("input", () => { state.handoverKey = null; });
        $("application-form").addEventListener("submit", submit);
        $("find-form").addEventListener("submit", find);
        $("more").addEventListener("click", () => find(null, true));
        $("handover-form").addEventListener("submit", handOver);
        show();
        window.deskReady = true;
    });
})();
