/*  egov_page — a printable HTML document.  */
#include "egov_page.h"
#include "egov_clock.h"
#include <czmq.h>

struct _egov_page_t {
    zchunk_t *text;
    bool table_open;                //  rows go into the table until a note
};

static void
s_raw (egov_page_t *self, const char *markup)
{
    zchunk_extend (self->text, markup, strlen (markup));
}

static void
s_put (egov_page_t *self, const char *text)
{
    char *escaped = egov_markup_escape (text);
    zchunk_extend (self->text, escaped, strlen (escaped));
    free (escaped);
}

egov_page_t *
egov_page_new (const char *issuer, const char *title_kk, const char *title_en, const char *number)
{
    egov_page_t *self = (egov_page_t *) zmalloc (sizeof (egov_page_t));
    assert (self);
    self->text = zchunk_new (NULL, 4096);
    s_raw (self, "<!DOCTYPE html>\n<html lang=\"kk\"><head><meta charset=\"utf-8\"><title>");
    s_put (self, title_en);
    s_raw (self, " ");
    s_put (self, number);
    s_raw (self, "</title><style>body{font-family:serif;max-width:42em;margin:2em auto}"
                 "h1{font-size:1.3em;text-align:center}th{text-align:left;vertical-align:top;"
                 "padding-right:1em;font-weight:normal;color:#444}td{padding:.2em 0}"
                 "table{border-collapse:collapse;width:100%}.closing{margin-top:3em}"
                 "@media print{body{margin:0}}</style></head><body>\n<p>");
    s_put (self, issuer);
    s_raw (self, "</p>\n<h1>");
    s_put (self, title_kk);
    s_raw (self, "<br>");
    s_put (self, title_en);
    s_raw (self, " № ");
    s_put (self, number);
    s_raw (self, "</h1>\n<table>\n");
    self->table_open = true;
    return self;
}

void
egov_page_row (egov_page_t *self, const char *label, const char *value)
{
    s_raw (self, "<tr><th>");
    s_put (self, label);
    s_raw (self, "</th><td>");
    s_put (self, value && *value ? value : "—");
    s_raw (self, "</td></tr>\n");
}

void
egov_page_moment (egov_page_t *self, const char *label, int64_t ms)
{
    char text [40] = "";
    if (ms > 0) {
        egov_clock_format (ms, text, sizeof (text));
        text [16] = 0;              //  to the minute, Almaty time
        text [10] = ' ';
    }
    egov_page_row (self, label, text);
}

void
egov_page_list (egov_page_t *self, const char *label, const char *const *items, size_t count)
{
    s_raw (self, "<tr><th>");
    s_put (self, label);
    s_raw (self, "</th><td><ol>");
    for (size_t index = 0; index < count; index++) {
        s_raw (self, "<li>");
        s_put (self, items [index]);
        s_raw (self, "</li>");
    }
    if (count == 0)
        s_raw (self, "<li>—</li>");
    s_raw (self, "</ol></td></tr>\n");
}

void
egov_page_note (egov_page_t *self, const char *text)
{
    if (self->table_open)
        s_raw (self, "</table>\n");
    self->table_open = false;
    s_raw (self, "<p>");
    s_put (self, text);
    s_raw (self, "</p>\n");
}

char *
egov_page_end (egov_page_t **self_p, const char *closing)
{
    egov_page_t *self = *self_p;
    if (self->table_open)
        s_raw (self, "</table>\n");
    s_raw (self, "<p class=\"closing\">");
    s_put (self, closing);
    s_raw (self, "</p>\n</body></html>\n");
    zchunk_extend (self->text, "", 1);
    char *text = strdup ((char *) zchunk_data (self->text));
    assert (text);
    zchunk_destroy (&self->text);
    free (self);
    *self_p = NULL;
    return text;
}

//  A string member of document, "" when absent.
static const char *
s_member (json_t *document, const char *name)
{
    const char *value = json_string_value (json_object_get (document, name));
    return value ? value : "";
}

char *
egov_page_result (const egov_catalogue_entry_t *entry, json_t *document, bool approved,
                  int64_t decided_ms, const char *receipt, const char *registration,
                  const char *signer, const char *outcome, const char *number)
{
    const char *provider = json_string_value (json_object_get (json_object_get (document, "provider"), "en"));
    egov_page_t *page = egov_page_new (provider ? provider : "the provider",
                                       "Мемлекеттік қызмет көрсету нәтижесі", "The result of the public service",
                                       number);
    egov_page_row (page, "Service", entry && entry->name.en ? entry->name.en : s_member (document, "service"));
    egov_page_row (page, "Қызмет", entry && entry->name.kk ? entry->name.kk : "");
    char applicant [256];
    snprintf (applicant, sizeof (applicant), "%.120s, IIN %.12s", s_member (document, "applicant_name"),
              s_member (document, "applicant_iin"));
    egov_page_row (page, "Applicant", applicant);
    egov_page_row (page, "Decision", approved ? "approved" : "motivated refusal");
    if (approved)
        egov_page_row (page, "Issued", s_member (document, "result"));
    else {
        json_t *grounds = json_object_get (document, "grounds");
        size_t count = json_array_size (grounds);
        const char **items = (const char **) calloc (count + 1, sizeof (char *));
        assert (items);
        for (size_t index = 0; index < count; index++)
            items [index] = json_string_value (json_array_get (grounds, index))
                          ? json_string_value (json_array_get (grounds, index)) : "";
        egov_page_list (page, "Grounds", items, count);
        free (items);
    }
    egov_page_moment (page, "Decided", decided_ms);
    egov_page_row (page, "Application receipt", receipt);
    egov_page_row (page, "Registration number", registration);
    egov_page_row (page, "Signed by", signer);
    egov_page_row (page, "The signature, checked on arrival", outcome);
    return egov_page_end (&page, "Электрондық құжат / An electronic document: the signed original and its"
                                 " CMS signature are kept with the application.");
}

void
egov_page_test (bool verbose)
{
    if (verbose)
        printf (" * egov_page: ");
    egov_page_t *page = egov_page_new ("Issuer <&>", "Қолхат", "Receipt", "SC-2026-000001");
    egov_page_row (page, "Applicant", "A <b>bold</b> name");
    egov_page_row (page, "Empty", "");
    egov_page_moment (page, "At", 1767250800000);           //  2026-01-01T12:00+05:00
    const char *items [] = { "one", "two & three" };
    egov_page_list (page, "Documents", items, 2);
    egov_page_note (page, "a note");
    char *text = egov_page_end (&page, "Signature ____");
    assert (page == NULL);
    assert (strstr (text, "<!DOCTYPE html>") == text);
    assert (strstr (text, "Issuer &lt;&amp;&gt;"));
    assert (strstr (text, "Receipt № SC-2026-000001</h1>"));
    assert (strstr (text, "A &lt;b&gt;bold&lt;/b&gt; name"));
    assert (strstr (text, "<th>Empty</th><td>—</td>"));
    assert (strstr (text, "<td>2026-01-01 12:00</td>"));
    assert (strstr (text, "<li>two &amp; three</li>"));
    assert (strstr (text, "</table>\n<p>a note</p>"));
    assert (!strstr (text, "<script"));
    free (text);
    if (verbose)
        printf ("OK\n");
}
