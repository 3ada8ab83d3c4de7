/*  gbdfl_population — synthetic people of the registry of individuals.  */
#include "gbdfl_population.h"

//  A region of Kazakhstan with its KATO code, as addresses carry it.
typedef struct {
    const char *kato;               //  nine-digit KATO code of the region
    const char *name;               //  region name in Kazakh
    const char *localities [3];     //  towns and villages; the first is the centre
    int weight;                     //  share of the population, about 100k people
} s_region_t;

static const s_region_t s_regions [] = {
    { "710000000", "Астана қ.", { "Астана қ.", "Астана қ.", "Астана қ." }, 15 },
    { "750000000", "Алматы қ.", { "Алматы қ.", "Алматы қ.", "Алматы қ." }, 23 },
    { "790000000", "Шымкент қ.", { "Шымкент қ.", "Шымкент қ.", "Шымкент қ." }, 12 },
    { "100000000", "Абай облысы", { "Семей қ.", "Аягөз қ.", "Үржар а." }, 6 },
    { "110000000", "Ақмола облысы", { "Көкшетау қ.", "Степногорск қ.", "Щучинск қ." }, 8 },
    { "150000000", "Ақтөбе облысы", { "Ақтөбе қ.", "Хромтау қ.", "Қандыағаш қ." }, 9 },
    { "190000000", "Алматы облысы", { "Қонаев қ.", "Қаскелең қ.", "Есік қ." }, 15 },
    { "230000000", "Атырау облысы", { "Атырау қ.", "Құлсары қ.", "Мақат а." }, 7 },
    { "270000000", "Батыс Қазақстан облысы", { "Орал қ.", "Ақсай қ.", "Жәнібек а." }, 7 },
    { "310000000", "Жамбыл облысы", { "Тараз қ.", "Шу қ.", "Қаратау қ." }, 12 },
    { "330000000", "Жетісу облысы", { "Талдықорған қ.", "Текелі қ.", "Жаркент қ." }, 7 },
    { "350000000", "Қарағанды облысы", { "Қарағанды қ.", "Теміртау қ.", "Балқаш қ." }, 11 },
    { "390000000", "Қостанай облысы", { "Қостанай қ.", "Рудный қ.", "Лисаковск қ." }, 8 },
    { "430000000", "Қызылорда облысы", { "Қызылорда қ.", "Арал қ.", "Қазалы а." }, 8 },
    { "470000000", "Маңғыстау облысы", { "Ақтау қ.", "Жаңаөзен қ.", "Бейнеу а." }, 8 },
    { "550000000", "Павлодар облысы", { "Павлодар қ.", "Екібастұз қ.", "Ақсу қ." }, 7 },
    { "590000000", "Солтүстік Қазақстан облысы", { "Петропавл қ.", "Булаев қ.", "Мамлют қ." }, 5 },
    { "610000000", "Түркістан облысы", { "Түркістан қ.", "Кентау қ.", "Сарыағаш қ." }, 21 },
    { "620000000", "Ұлытау облысы", { "Жезқазған қ.", "Сәтбаев қ.", "Қаражал қ." }, 2 },
    { "630000000", "Шығыс Қазақстан облысы", { "Өскемен қ.", "Риддер қ.", "Зайсан қ." }, 7 },
};
#define s_REGION_COUNT (sizeof (s_regions) / sizeof (s_regions [0]))

//  Surname stems with the masculine ending; the feminine adds "а".
typedef struct {
    const char *stem;               //  e.g. Асқар
    const char *ending;             //  ов or ев (after a vowel)
} s_surname_t;

static const s_surname_t s_surnames [] = {
    { "Асқар", "ов" }, { "Нұрлан", "ов" }, { "Жұмаба", "ев" }, { "Сейіт", "ов" },
    { "Ахмет", "ов" }, { "Қасым", "ов" }, { "Омар", "ов" }, { "Исмаил", "ов" },
    { "Сұлтанба", "ев" }, { "Байжан", "ов" }, { "Жақсылық", "ов" }, { "Әбдірахман", "ов" },
    { "Мұхаметжан", "ов" }, { "Төлеген", "ов" }, { "Серікба", "ев" }, { "Ермек", "ов" },
    { "Құрманғали", "ев" }, { "Нұрғали", "ев" }, { "Бекмұхамбет", "ов" }, { "Садық", "ов" },
    { "Әлі", "ев" }, { "Есенба", "ев" }, { "Қожахмет", "ов" }, { "Тұрсынба", "ев" },
    { "Ыбыра", "ев" }, { "Мамыт", "ов" }, { "Оспан", "ов" }, { "Смағұл", "ов" },
    { "Дүйсенба", "ев" }, { "Кенжебек", "ов" }, { "Жаппар", "ов" }, { "Тәжіба", "ев" },
    { "Мұратба", "ев" }, { "Әмір", "ов" }, { "Сәрсенба", "ев" }, { "Ғабдулл", "ин" },
};
#define s_SURNAME_COUNT (sizeof (s_surnames) / sizeof (s_surnames [0]))

static const char *s_male_names [] = {
    "Ерлан", "Нұрлан", "Серік", "Марат", "Болат", "Қайрат", "Дәурен", "Асқар", "Бауыржан",
    "Ержан", "Арман", "Данияр", "Айбек", "Нұрсұлтан", "Алихан", "Санжар", "Ерболат", "Мұрат",
    "Талғат", "Жандос", "Әділет", "Ақжол", "Бекзат", "Дархан", "Ернар", "Руслан", "Тимур",
    "Азамат", "Ильяс", "Мақсат", "Нұрбек", "Қанат", "Ғалым", "Жасұлан", "Еркебұлан", "Ислам",
    "Мирас", "Олжас", "Расул", "Бақытжан", "Самат", "Әлібек"
};
#define s_MALE_NAME_COUNT (sizeof (s_male_names) / sizeof (s_male_names [0]))

static const char *s_female_names [] = {
    "Айгүл", "Әсем", "Дана", "Гүлнар", "Айгерім", "Ақбота", "Жанар", "Мадина", "Назерке",
    "Динара", "Сәуле", "Салтанат", "Гүлмира", "Әйгерім", "Аружан", "Інжу", "Томирис",
    "Жансая", "Камила", "Айша", "Балнұр", "Меруерт", "Ұлжан", "Анель", "Алия", "Райхан",
    "Гаухар", "Құралай", "Шынар", "Әлия", "Ботагөз", "Ләззат"
};
#define s_FEMALE_NAME_COUNT (sizeof (s_female_names) / sizeof (s_female_names [0]))

static const char *s_streets [] = {
    "Абай даңғылы", "Төле би көшесі", "Қабанбай батыр көшесі", "Сәтбаев көшесі",
    "Жамбыл көшесі", "Желтоқсан көшесі", "Бейбітшілік көшесі", "Достық даңғылы",
    "Әл-Фараби даңғылы", "Республика даңғылы", "Құрманғазы көшесі", "Наурыз көшесі",
    "Тәуелсіздік даңғылы", "Қонаев көшесі", "Шоқан Уәлиханов көшесі", "Мұқанов көшесі",
    "Ыбырай Алтынсарин көшесі", "Абылай хан даңғылы", "Бөгенбай батыр көшесі", "Гагарин көшесі"
};
#define s_STREET_COUNT (sizeof (s_streets) / sizeof (s_streets [0]))

//  Issuer of ID cards and passports: the Ministry of Internal Affairs.
#define s_ISSUER "ҚР ІІМ"

typedef struct {
    const char *type;               //  ID_CARD | PASSPORT | BIRTH_CERTIFICATE
    char number [16];               //  unique within its type
    char issued [11];               //  YYYY-MM-DD
    char expires [11];              //  YYYY-MM-DD, "" when it does not expire
    char issuer [128];              //  who issued it
} s_document_t;

typedef struct {
    char number [16];               //  certificate number
    char issued [11];               //  YYYY-MM-DD
    char child [13];                //  child's IIN
    char mother [13];               //  mother's IIN, "" when not recorded
    char father [13];               //  father's IIN, "" when not recorded
    char office [128];              //  registry office (АХАЖ бөлімі)
} s_certificate_t;

#define s_MAX_DOCUMENTS 3
#define s_MAX_CHILDREN 4

typedef struct {
    char iin [13];                  //  IIN
    char surname [64];              //  Kazakh Cyrillic, UTF-8
    char name [48];
    char patronymic [64];           //  "" when not recorded
    char birth_date [11];           //  YYYY-MM-DD
    bool male;                      //  gender
    const s_region_t *region;       //  region of the address
    const char *locality;           //  town or village
    const char *street;
    char house [8];
    char flat [8];                  //  "" for a private house
    s_document_t documents [s_MAX_DOCUMENTS];   //  by issue date
    int document_count;
    int64_t certificate;            //  own birth certificate index, -1 none
    int64_t children [s_MAX_CHILDREN];          //  certificates naming them as a parent
    int child_count;
} s_person_t;

struct _gbdfl_population_t {
    s_person_t *people;             //  fixed people first, then synthetic
    size_t count;                   //  number of people
    s_certificate_t *certificates;  //  birth certificates
    size_t certificate_count;       //  certificates used
    egov_population_ids_t *ids;     //  the synthetic identities dressed here
};

//  The fixed people, exactly as the tests and the other services expect them.
//  Their documents were issued shortly before the population's "as of" day
//  and stay valid for ten years, so that the demos and the tests, which run
//  at any simulated moment of the coming years, find them valid.
typedef struct {
    const char *iin, *surname, *name, *patronymic, *birth_date;
    bool male;
    const char *kato, *locality, *street, *house, *flat;
    const char *id_card, *id_issued, *id_expires;   //  ID card, NULL when none
    const char *passport, *passport_issued, *passport_expires;
    const char *certificate, *certificate_issued;   //  own birth certificate, NULL when none
    const char *mother, *father;                    //  on that certificate
} s_fixed_t;

static const s_fixed_t s_fixed [] = {
    { "850314301234", "Асқаров", "Ерлан", "Серікұлы", "1985-03-14", true,
      "750000000", "Алматы қ.", "Абай даңғылы", "52", "17",
      "041234567", "2024-04-12", "2034-04-11", "N01234567", "2025-06-03", "2035-06-02",
      NULL, NULL, NULL, NULL },
    { "150913500422", "Асқаров", "Нұрсұлтан", "Ерланұлы", "2015-09-13", true,
      "750000000", "Алматы қ.", "Абай даңғылы", "52", "17",
      NULL, NULL, NULL, NULL, NULL, NULL,
      "0915001", "2015-09-21", "", "850314301234" },
    { "900722404568", "Нұрланова", "Айгүл", "Қайратқызы", "1990-07-22", false,
      "750000000", "Алматы қ.", "Төле би көшесі", "118", "44",
      "042345678", "2025-08-01", "2035-07-31", NULL, NULL, NULL,
      NULL, NULL, NULL, NULL },
    { "200510607893", "Нұрланова", "Әсем", "", "2020-05-10", false,
      "750000000", "Алматы қ.", "Төле би көшесі", "118", "44",
      NULL, NULL, NULL, NULL, NULL, NULL,
      "0920002", "2020-05-18", "900722404568", "" },
    { "230201503215", "Нұрланов", "Алихан", "", "2023-02-01", true,
      "750000000", "Алматы қ.", "Төле би көшесі", "118", "44",
      NULL, NULL, NULL, NULL, NULL, NULL,
      "0923003", "2023-02-09", "900722404568", "" },
    { "781130306545", "Жұмабаев", "Дәурен", "Болатұлы", "1978-11-30", true,
      "750000000", "Алматы қ.", "Сәтбаев көшесі", "9", "",
      "043456789", "2024-12-05", "2034-12-04", NULL, NULL, NULL,
      NULL, NULL, NULL, NULL },
    { "951203407770", "Сейітова", "Дана", "Маратқызы", "1995-12-03", false,
      "230000000", "Атырау қ.", "Сәтбаев көшесі", "27", "3",
      "044567890", "2025-03-15", "2035-03-14", NULL, NULL, NULL,
      NULL, NULL, NULL, NULL },
};
#define s_FIXED_COUNT (sizeof (s_fixed) / sizeof (s_fixed [0]))

size_t
gbdfl_population_fixed (void)
{
    return s_FIXED_COUNT;
}

//  Region with the KATO code; the table always has the fixed people's regions.
static const s_region_t *
s_region_by_kato (const char *kato)
{
    for (size_t index = 0; index < s_REGION_COUNT; index++)
        if (streq (s_regions [index].kato, kato))
            return &s_regions [index];
    assert (false);
    return NULL;
}

//  A region drawn by population weight.
static const s_region_t *
s_region_draw (uint64_t *state)
{
    int total = 0;
    for (size_t index = 0; index < s_REGION_COUNT; index++)
        total += s_regions [index].weight;
    int draw = (int) egov_random_between (state, 0, total - 1);
    for (size_t index = 0; index < s_REGION_COUNT; index++) {
        draw -= s_regions [index].weight;
        if (draw < 0)
            return &s_regions [index];
    }
    return &s_regions [0];
}

//  The same calendar day some years later (28 February for 29 February).
static int64_t
s_add_years (int64_t days, int years)
{
    int year, month, day;
    egov_date_from_days (days, &year, &month, &day);
    if (!egov_date_valid (year + years, month, day))
        day = 28;
    return egov_date_days (year + years, month, day);
}

//  A random stream for one purpose of one household or person, so adding a
//  purpose never shifts the data of another.
static uint64_t
s_stream (uint64_t seed, uint64_t key, uint64_t purpose)
{
    uint64_t state = seed ^ (key * 0xa0761d6478bd642fULL) ^ (purpose * 0xe7037ed1a0b428dbULL);
    egov_splitmix64 (&state);
    return state;
}

//  Surname in the gendered form.
static void
s_surname (char *out, size_t size, const s_surname_t *surname, bool male)
{
    snprintf (out, size, "%s%s%s", surname->stem, surname->ending, male ? "" : "а");
}

//  Patronymic from the father's name: ‑ұлы for a son, ‑қызы for a daughter.
static void
s_patronymic (char *out, size_t size, const char *father_name, bool male)
{
    snprintf (out, size, "%s%s", father_name, male ? "ұлы" : "қызы");
}

//  Appends a document to a person.
static s_document_t *
s_document_add (s_person_t *person, const char *type, const char *number,
                const char *issued, const char *expires, const char *issuer)
{
    assert (person->document_count < s_MAX_DOCUMENTS);
    s_document_t *document = &person->documents [person->document_count++];
    document->type = type;
    snprintf (document->number, sizeof (document->number), "%s", number);
    snprintf (document->issued, sizeof (document->issued), "%s", issued);
    snprintf (document->expires, sizeof (document->expires), "%s", expires ? expires : "");
    snprintf (document->issuer, sizeof (document->issuer), "%s", issuer);
    return document;
}

//  Appends a birth certificate and links it to the child and the parents
//  found among the people so far.
static void
s_certificate_add (gbdfl_population_t *self, s_person_t *child, const char *number,
                   const char *issued, int64_t mother, int64_t father, const char *office)
{
    int64_t index = (int64_t) self->certificate_count++;
    s_certificate_t *certificate = &self->certificates [index];
    snprintf (certificate->number, sizeof (certificate->number), "%s", number);
    snprintf (certificate->issued, sizeof (certificate->issued), "%s", issued);
    snprintf (certificate->child, sizeof (certificate->child), "%s", child->iin);
    snprintf (certificate->mother, sizeof (certificate->mother), "%s",
              mother >= 0 ? self->people [mother].iin : "");
    snprintf (certificate->father, sizeof (certificate->father), "%s",
              father >= 0 ? self->people [father].iin : "");
    snprintf (certificate->office, sizeof (certificate->office), "%s", office);
    child->certificate = index;
    s_document_add (child, "BIRTH_CERTIFICATE", number, issued, NULL, office);
    int64_t parents [2] = { mother, father };
    for (int parent = 0; parent < 2; parent++)
        if (parents [parent] >= 0) {
            s_person_t *holder = &self->people [parents [parent]];
            assert (holder->child_count < s_MAX_CHILDREN);
            holder->children [holder->child_count++] = index;
        }
}

//  Index of the person with the IIN among the first count people, or -1.
static int64_t
s_find (gbdfl_population_t *self, size_t count, const char *iin)
{
    for (size_t index = 0; index < count; index++)
        if (streq (self->people [index].iin, iin))
            return (int64_t) index;
    return -1;
}

//  Fills the fixed people at the first indices.
static void
s_fixed_fill (gbdfl_population_t *self)
{
    for (size_t index = 0; index < s_FIXED_COUNT; index++) {
        const s_fixed_t *fixed = &s_fixed [index];
        s_person_t *person = &self->people [index];
        snprintf (person->iin, sizeof (person->iin), "%s", fixed->iin);
        snprintf (person->surname, sizeof (person->surname), "%s", fixed->surname);
        snprintf (person->name, sizeof (person->name), "%s", fixed->name);
        snprintf (person->patronymic, sizeof (person->patronymic), "%s", fixed->patronymic);
        snprintf (person->birth_date, sizeof (person->birth_date), "%s", fixed->birth_date);
        person->male = fixed->male;
        person->region = s_region_by_kato (fixed->kato);
        person->locality = fixed->locality;
        person->street = fixed->street;
        snprintf (person->house, sizeof (person->house), "%s", fixed->house);
        snprintf (person->flat, sizeof (person->flat), "%s", fixed->flat);
        person->certificate = -1;
        if (fixed->certificate) {
            char office [128];
            snprintf (office, sizeof (office), "%s АХАЖ бөлімі", fixed->locality);
            s_certificate_add (self, person, fixed->certificate, fixed->certificate_issued,
                               s_find (self, index, fixed->mother),
                               s_find (self, index, fixed->father), office);
        }
        if (fixed->passport)
            s_document_add (person, "PASSPORT", fixed->passport, fixed->passport_issued,
                            fixed->passport_expires, s_ISSUER);
        if (fixed->id_card)
            s_document_add (person, "ID_CARD", fixed->id_card, fixed->id_issued,
                            fixed->id_expires, s_ISSUER);
    }
}

//  Gives an adult an ID card (from 16) and perhaps a passport (from 18).
//  Cards last ten years; a few people let theirs run out.
static void
s_adult_documents (s_person_t *person, const egov_population_id_t *id, size_t index, uint64_t *state)
{
    int64_t as_of = egov_population_as_of ();
    int64_t sixteen = s_add_years (id->birth_days, 16);
    if (sixteen >= as_of)
        return;
    char number [16], issued [11], expires [11];
    int64_t passport_from = s_add_years (id->birth_days, 18);
    if (passport_from < as_of && egov_random_between (state, 0, 99) < 30) {
        int64_t earliest = passport_from > as_of - 3650 ? passport_from : as_of - 3650;
        int64_t day = egov_random_between (state, earliest, as_of - 1);
        egov_date_format (day, issued);
        egov_date_format (s_add_years (day, 10) - 1, expires);
        snprintf (number, sizeof (number), "N1%07zu", index % 10000000);
        s_document_add (person, "PASSPORT", number, issued, expires, s_ISSUER);
    }
    bool lapsed = egov_random_between (state, 0, 99) < 4;
    int64_t earliest = lapsed ? as_of - 4380 : as_of - 3650;
    int64_t latest = lapsed ? as_of - 3651 : as_of - 1;
    if (earliest < sixteen)
        earliest = sixteen;
    if (latest < earliest)
        latest = as_of - 1;
    int64_t day = egov_random_between (state, earliest, latest);
    egov_date_format (day, issued);
    egov_date_format (s_add_years (day, 10) - 1, expires);
    snprintf (number, sizeof (number), "%09zu", (size_t) 50000000 + index);
    s_document_add (person, "ID_CARD", number, issued, expires, s_ISSUER);
}

//  Dresses the synthetic identity at population index with a name, an
//  address, documents and, for a child born after 2008, a certificate.
static void
s_synthetic_fill (gbdfl_population_t *self, uint64_t seed, size_t synthetic)
{
    const egov_population_id_t *id = egov_population_ids_get (self->ids, synthetic);
    size_t index = s_FIXED_COUNT + synthetic;
    s_person_t *person = &self->people [index];
    snprintf (person->iin, sizeof (person->iin), "%s", id->iin);
    egov_date_format (id->birth_days, person->birth_date);
    person->male = id->male;
    person->certificate = -1;

    //  The household decides the family surname, the address and the
    //  unrecorded father of a single mother's children
    size_t head = id->household * EGOV_POPULATION_HOUSEHOLD;
    bool family = egov_population_ids_get (self->ids, head)->role != EGOV_POPULATION_SINGLE;
    uint64_t household = s_stream (seed, id->household, 1);
    const s_surname_t *family_surname = &s_surnames [egov_splitmix64 (&household) % s_SURNAME_COUNT];
    const char *absent_father = s_male_names [egov_splitmix64 (&household) % s_MALE_NAME_COUNT];
    uint64_t own = s_stream (seed, synthetic, 2);
    const s_surname_t *own_surname = &s_surnames [egov_splitmix64 (&own) % s_SURNAME_COUNT];
    const char *name = id->male ? s_male_names [egov_splitmix64 (&own) % s_MALE_NAME_COUNT]
                                : s_female_names [egov_splitmix64 (&own) % s_FEMALE_NAME_COUNT];
    const char *own_father = s_male_names [egov_splitmix64 (&own) % s_MALE_NAME_COUNT];
    snprintf (person->name, sizeof (person->name), "%s", name);

    switch (id->role) {
        case EGOV_POPULATION_FATHER:
            s_surname (person->surname, sizeof (person->surname), family_surname, true);
            break;
        case EGOV_POPULATION_MOTHER:
            //  Many wives take the husband's surname, many keep their own
            s_surname (person->surname, sizeof (person->surname),
                       egov_splitmix64 (&own) % 100 < 60 ? family_surname : own_surname, false);
            break;
        case EGOV_POPULATION_CHILD: {
            const s_person_t *mother = &self->people [s_FIXED_COUNT + id->mother];
            const s_surname_t *surname = family_surname;
            if (id->father < 0) {
                //  Single mother: her surname passes to the children
                for (size_t stem = 0; stem < s_SURNAME_COUNT; stem++) {
                    char feminine [64];
                    s_surname (feminine, sizeof (feminine), &s_surnames [stem], false);
                    if (streq (mother->surname, feminine))
                        surname = &s_surnames [stem];
                }
                own_father = absent_father;
            }
            else
                own_father = self->people [s_FIXED_COUNT + id->father].name;
            s_surname (person->surname, sizeof (person->surname), surname, id->male);
            break;
        }
        case EGOV_POPULATION_SINGLE:
            s_surname (person->surname, sizeof (person->surname), own_surname, id->male);
            break;
    }
    s_patronymic (person->patronymic, sizeof (person->patronymic), own_father, id->male);

    //  A family shares one home; a single adult lives alone
    uint64_t home = family ? s_stream (seed, id->household, 3) : s_stream (seed, synthetic, 4);
    person->region = s_region_draw (&home);
    person->locality = person->region->localities [egov_splitmix64 (&home) % 3];
    person->street = s_streets [egov_splitmix64 (&home) % s_STREET_COUNT];
    snprintf (person->house, sizeof (person->house), "%d", (int) egov_random_between (&home, 1, 180));
    if (egov_splitmix64 (&home) % 100 < 65)
        snprintf (person->flat, sizeof (person->flat), "%d", (int) egov_random_between (&home, 1, 240));

    uint64_t papers = s_stream (seed, synthetic, 5);
    if (id->role == EGOV_POPULATION_CHILD && id->birth_days >= egov_date_days (egov_population_shifted (2009), 1, 1)) {
        char number [16], issued [11], office [128];
        snprintf (number, sizeof (number), "%07zu", (size_t) 2000000 + synthetic);
        int64_t day = id->birth_days + egov_random_between (&papers, 2, 30);
        egov_date_format (day < egov_population_as_of () ? day : egov_population_as_of (), issued);
        snprintf (office, sizeof (office), "%s АХАЖ бөлімі", person->locality);
        s_certificate_add (self, person, number, issued,
                           (int64_t) s_FIXED_COUNT + id->mother,
                           id->father >= 0 ? (int64_t) s_FIXED_COUNT + id->father : -1, office);
    }
    s_adult_documents (person, id, synthetic, &papers);
}

gbdfl_population_t *
gbdfl_population_new (uint64_t seed, size_t count)
{
    assert (count <= GBDFL_POPULATION_MAX);
    gbdfl_population_t *self = calloc (1, sizeof (gbdfl_population_t));
    assert (self);
    self->count = s_FIXED_COUNT + count;
    self->people = calloc (self->count, sizeof (s_person_t));
    self->certificates = calloc (self->count, sizeof (s_certificate_t));
    assert (self->people && self->certificates);
    self->ids = egov_population_ids_new (seed, count);
    s_fixed_fill (self);
    for (size_t synthetic = 0; synthetic < count; synthetic++)
        s_synthetic_fill (self, seed, synthetic);
    return self;
}

void
gbdfl_population_destroy (gbdfl_population_t **self_p)
{
    assert (self_p);
    gbdfl_population_t *self = *self_p;
    if (self) {
        egov_population_ids_destroy (&self->ids);
        free (self->certificates);
        free (self->people);
        free (self);
        *self_p = NULL;
    }
}

size_t
gbdfl_population_size (gbdfl_population_t *self)
{
    assert (self);
    return self->count;
}

const char *
gbdfl_population_iin (gbdfl_population_t *self, size_t index)
{
    assert (self);
    assert (index < self->count);
    return self->people [index].iin;
}

//  Heap copy of a string for a protobuf field.
static char *
s_strdup (const char *text)
{
    char *copy = strdup (text ? text : "");
    assert (copy);
    return copy;
}

//  Heap BirthCertificate message for a certificate.
static Egov__Registries__BirthCertificate *
s_certificate_message (const s_certificate_t *certificate)
{
    Egov__Registries__BirthCertificate *message = malloc (sizeof (*message));
    assert (message);
    egov__registries__birth_certificate__init (message);
    message->number = s_strdup (certificate->number);
    message->issued = s_strdup (certificate->issued);
    message->child_iin = s_strdup (certificate->child);
    message->mother_iin = s_strdup (certificate->mother);
    message->father_iin = s_strdup (certificate->father);
    message->registry_office = s_strdup (certificate->office);
    return message;
}

//  Orders documents as the registry lists them: by issue date, type, number.
static int
s_document_compare (const void *left, const void *right)
{
    const Egov__Registries__IdentityDocument *first = *(Egov__Registries__IdentityDocument * const *) left;
    const Egov__Registries__IdentityDocument *second = *(Egov__Registries__IdentityDocument * const *) right;
    int order = strcmp (first->issued, second->issued);
    if (!order)
        order = strcmp (first->type, second->type);
    return order ? order : strcmp (first->number, second->number);
}

//  Orders certificates as the registry lists them: by issue date, then number.
static int
s_certificate_compare (const void *left, const void *right)
{
    const Egov__Registries__BirthCertificate *first = *(Egov__Registries__BirthCertificate * const *) left;
    const Egov__Registries__BirthCertificate *second = *(Egov__Registries__BirthCertificate * const *) right;
    int order = strcmp (first->issued, second->issued);
    return order ? order : strcmp (first->number, second->number);
}

Egov__Registries__Person *
gbdfl_population_person (gbdfl_population_t *self, size_t index)
{
    assert (self);
    assert (index < self->count);
    const s_person_t *person = &self->people [index];
    Egov__Registries__Person *message = malloc (sizeof (*message));
    assert (message);
    egov__registries__person__init (message);
    message->iin = s_strdup (person->iin);
    message->surname = s_strdup (person->surname);
    message->name = s_strdup (person->name);
    message->patronymic = s_strdup (person->patronymic);
    message->birth_date = s_strdup (person->birth_date);
    message->gender = s_strdup (person->male ? "MALE" : "FEMALE");
    message->citizenship = s_strdup ("KAZ");

    Egov__Registries__Address *address = malloc (sizeof (*address));
    assert (address);
    egov__registries__address__init (address);
    address->region_kato = s_strdup (person->region->kato);
    address->region_name = s_strdup (person->region->name);
    address->locality = s_strdup (person->locality);
    address->street = s_strdup (person->street);
    address->house = s_strdup (person->house);
    address->flat = s_strdup (person->flat);
    message->address = address;

    if (person->document_count) {
        message->documents = calloc (person->document_count, sizeof (void *));
        assert (message->documents);
    }
    for (int slot = 0; slot < person->document_count; slot++) {
        const s_document_t *document = &person->documents [slot];
        Egov__Registries__IdentityDocument *entry = malloc (sizeof (*entry));
        assert (entry);
        egov__registries__identity_document__init (entry);
        entry->type = s_strdup (document->type);
        entry->number = s_strdup (document->number);
        entry->issued = s_strdup (document->issued);
        entry->expires = s_strdup (document->expires);
        entry->issuer = s_strdup (document->issuer);
        message->documents [message->n_documents++] = entry;
    }
    if (person->certificate >= 0)
        message->birth_certificate = s_certificate_message (&self->certificates [person->certificate]);
    if (person->child_count) {
        message->children = calloc (person->child_count, sizeof (void *));
        assert (message->children);
    }
    for (int slot = 0; slot < person->child_count; slot++)
        message->children [message->n_children++] =
            s_certificate_message (&self->certificates [person->children [slot]]);
    if (message->n_documents > 1)
        qsort (message->documents, message->n_documents, sizeof (void *), s_document_compare);
    if (message->n_children > 1)
        qsort (message->children, message->n_children, sizeof (void *), s_certificate_compare);
    return message;
}

//  True when text ends with suffix.
static bool
s_ends_with (const char *text, const char *suffix)
{
    size_t length = strlen (text);
    size_t suffix_length = strlen (suffix);
    return length >= suffix_length && streq (text + length - suffix_length, suffix);
}

//  Finds a document of a type in a Person message, NULL when none.
static Egov__Registries__IdentityDocument *
s_person_document (Egov__Registries__Person *person, const char *type)
{
    for (size_t slot = 0; slot < person->n_documents; slot++)
        if (streq (person->documents [slot]->type, type))
            return person->documents [slot];
    return NULL;
}

//  Packs a message into a new frame for byte comparison.
static bool
s_same_message (const ProtobufCMessage *left, const ProtobufCMessage *right)
{
    zframe_t *first = egov_pb_frame (left);
    zframe_t *second = egov_pb_frame (right);
    bool same = zframe_eq (first, second);
    zframe_destroy (&first);
    zframe_destroy (&second);
    return same;
}

void
gbdfl_population_test (bool verbose)
{
    if (verbose)
        printf (" * gbdfl_population: ");

    gbdfl_population_t *population = gbdfl_population_new (EGOV_POPULATION_SEED, GBDFL_POPULATION_DEFAULT);
    assert (gbdfl_population_size (population) == s_FIXED_COUNT + GBDFL_POPULATION_DEFAULT);
    assert (gbdfl_population_fixed () == 7);

    //  The fixed people, exactly
    Egov__Registries__Person *erlan = gbdfl_population_person (population, 0);
    assert (streq (erlan->iin, "850314301234"));
    assert (streq (erlan->surname, "Асқаров") && streq (erlan->name, "Ерлан"));
    assert (streq (erlan->patronymic, "Серікұлы"));
    assert (streq (erlan->birth_date, "1985-03-14") && streq (erlan->gender, "MALE"));
    assert (streq (erlan->address->region_kato, "750000000"));
    assert (s_person_document (erlan, "ID_CARD"));
    assert (erlan->n_children == 1);
    assert (streq (erlan->children [0]->child_iin, "150913500422"));
    assert (streq (erlan->children [0]->father_iin, "850314301234"));
    assert (erlan->birth_certificate == NULL);
    egov__registries__person__free_unpacked (erlan, NULL);

    Egov__Registries__Person *son = gbdfl_population_person (population, 1);
    assert (streq (son->iin, "150913500422") && streq (son->name, "Нұрсұлтан"));
    assert (streq (son->patronymic, "Ерланұлы") && streq (son->birth_date, "2015-09-13"));
    assert (son->birth_certificate);
    assert (streq (son->birth_certificate->father_iin, "850314301234"));
    assert (streq (son->birth_certificate->child_iin, "150913500422"));
    assert (s_person_document (son, "BIRTH_CERTIFICATE"));
    assert (s_person_document (son, "ID_CARD") == NULL);
    egov__registries__person__free_unpacked (son, NULL);

    Egov__Registries__Person *aigul = gbdfl_population_person (population, 2);
    assert (streq (aigul->surname, "Нұрланова") && streq (aigul->patronymic, "Қайратқызы"));
    assert (streq (aigul->gender, "FEMALE") && aigul->n_children == 2);
    assert (streq (aigul->children [0]->child_iin, "200510607893"));
    assert (streq (aigul->children [1]->child_iin, "230201503215"));
    assert (streq (aigul->children [1]->mother_iin, "900722404568"));
    egov__registries__person__free_unpacked (aigul, NULL);

    const char *expected [][6] = {
        { "200510607893", "Нұрланова", "Әсем", "", "2020-05-10", "FEMALE" },
        { "230201503215", "Нұрланов", "Алихан", "", "2023-02-01", "MALE" },
        { "781130306545", "Жұмабаев", "Дәурен", "Болатұлы", "1978-11-30", "MALE" },
        { "951203407770", "Сейітова", "Дана", "Маратқызы", "1995-12-03", "FEMALE" },
    };
    for (size_t row = 0; row < 4; row++) {
        Egov__Registries__Person *person = gbdfl_population_person (population, 3 + row);
        assert (streq (person->iin, expected [row][0]));
        assert (streq (person->surname, expected [row][1]));
        assert (streq (person->name, expected [row][2]));
        assert (streq (person->patronymic, expected [row][3]));
        assert (streq (person->birth_date, expected [row][4]));
        assert (streq (person->gender, expected [row][5]));
        assert (streq (person->address->region_kato, row == 3 ? "230000000" : "750000000"));
        egov__registries__person__free_unpacked (person, NULL);
    }

    //  Every IIN valid, unique, matching birth date and gender; nobody is
    //  010101599994; names in their gendered forms; every region inhabited
    zhashx_t *seen = zhashx_new ();
    assert (seen);
    size_t regions_seen [s_REGION_COUNT] = { 0 };
    size_t certificates = 0;
    int64_t after_2008 = egov_date_days (egov_population_shifted (2009), 1, 1);
    for (size_t index = 0; index < gbdfl_population_size (population); index++) {
        Egov__Registries__Person *person = gbdfl_population_person (population, index);
        assert (streq (person->iin, gbdfl_population_iin (population, index)));
        assert (egov_iin_valid (person->iin, NULL));
        assert (!streq (person->iin, "010101599994"));
        assert (zhashx_insert (seen, person->iin, population) == 0);
        int year, month, day;
        assert (egov_iin_birth_date (person->iin, &year, &month, &day));
        char birth [11];
        egov_date_format (egov_date_days (year, month, day), birth);
        assert (streq (birth, person->birth_date));
        bool male = streq (person->gender, "MALE");
        assert (egov_iin_male (person->iin) == male);
        for (size_t region = 0; region < s_REGION_COUNT; region++)
            if (streq (person->address->region_kato, s_regions [region].kato))
                regions_seen [region]++;
        if (index >= s_FIXED_COUNT) {
            assert (male ? (s_ends_with (person->surname, "ов") || s_ends_with (person->surname, "ев")
                            || s_ends_with (person->surname, "ин"))
                         : (s_ends_with (person->surname, "ова") || s_ends_with (person->surname, "ева")
                            || s_ends_with (person->surname, "ина")));
            assert (s_ends_with (person->patronymic, male ? "ұлы" : "қызы"));
            int64_t born = egov_date_days (year, month, day);
            if (egov_population_as_of () - born > 17 * 365)
                assert (s_person_document (person, "ID_CARD"));
            if (born >= after_2008 && s_person_document (person, "BIRTH_CERTIFICATE") == NULL)
                assert (egov_population_as_of () - born > 17 * 365 - 1000);
        }
        if (person->birth_certificate) {
            certificates++;
            Egov__Registries__BirthCertificate *certificate = person->birth_certificate;
            assert (streq (certificate->child_iin, person->iin));
            assert (egov_iin_valid (certificate->mother_iin, NULL) || !*certificate->mother_iin);
            assert (*certificate->mother_iin || *certificate->father_iin);
        }
        egov__registries__person__free_unpacked (person, NULL);
    }
    assert (!zhashx_lookup (seen, "010101599994"));
    for (size_t region = 0; region < s_REGION_COUNT; region++)
        assert (regions_seen [region] > 0);
    assert (certificates > 1000);

    //  A parent's children list and the child's own certificate agree
    for (size_t index = s_FIXED_COUNT; index < s_FIXED_COUNT + 400; index++) {
        Egov__Registries__Person *person = gbdfl_population_person (population, index);
        for (size_t slot = 0; slot < person->n_children; slot++) {
            const char *child_iin = person->children [slot]->child_iin;
            for (size_t other = index + 1; other < index + EGOV_POPULATION_HOUSEHOLD; other++)
                if (streq (gbdfl_population_iin (population, other), child_iin)) {
                    Egov__Registries__Person *child = gbdfl_population_person (population, other);
                    assert (s_same_message (&child->birth_certificate->base,
                                            &person->children [slot]->base));
                    if (streq (person->gender, "MALE")) {
                        char patronymic [64];
                        s_patronymic (patronymic, sizeof (patronymic), person->name,
                                      streq (child->gender, "MALE"));
                        assert (streq (child->patronymic, patronymic));
                        assert (streq (child->birth_certificate->father_iin, person->iin));
                    }
                    else
                        assert (streq (child->birth_certificate->mother_iin, person->iin));
                    egov__registries__person__free_unpacked (child, NULL);
                }
        }
        egov__registries__person__free_unpacked (person, NULL);
    }
    zhashx_destroy (&seen);

    //  Same seed, same people; a smaller population is a prefix
    gbdfl_population_t *again = gbdfl_population_new (EGOV_POPULATION_SEED, 300);
    for (size_t index = 0; index < gbdfl_population_size (again); index++) {
        Egov__Registries__Person *first = gbdfl_population_person (population, index);
        Egov__Registries__Person *second = gbdfl_population_person (again, index);
        assert (s_same_message (&first->base, &second->base));
        egov__registries__person__free_unpacked (first, NULL);
        egov__registries__person__free_unpacked (second, NULL);
    }
    gbdfl_population_destroy (&again);
    gbdfl_population_destroy (&population);
    gbdfl_population_destroy (&population);

    if (verbose)
        printf ("OK\n");
}
