/*  egov_population_ids — deterministic identities of the synthetic population.  */
#include "egov_population_ids.h"

struct _egov_population_ids_t {
    egov_population_id_t *people;   //  count identities, index order
    size_t count;                   //  number of identities
};

const char *egov_population_reserved_iins [] = {
    "850314301234",     //  Асқаров Ерлан Серікұлы
    "150913500422",     //  Асқаров Нұрсұлтан Ерланұлы
    "900722404568",     //  Нұрланова Айгүл Қайратқызы
    "200510607893",     //  Нұрланова Әсем
    "230201503215",     //  Нұрланов Алихан
    "781130306545",     //  Жұмабаев Дәурен Болатұлы
    "951203407770",     //  Сейітова Дана Маратқызы
    "010101599994",     //  valid, belongs to nobody: the "unknown person" of tests
    NULL
};

//  Kinds of household block, chosen per household from its own sequence.
typedef enum {
    s_COUPLE_TWO_CHILDREN,          //  father, mother, two children
    s_COUPLE_CHILD_ELDER,           //  father, mother, a child, an elder living with them
    s_FOUR_SINGLES,                 //  four unrelated adults
    s_MOTHER_THREE_CHILDREN         //  a mother and three children, father not recorded
} s_household_kind_t;

uint64_t
egov_splitmix64 (uint64_t *state)
{
    uint64_t value = (*state += 0x9e3779b97f4a7c15ULL);
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
    return value ^ (value >> 31);
}

int64_t
egov_random_between (uint64_t *state, int64_t low, int64_t high)
{
    assert (high >= low);
    uint64_t span = (uint64_t) (high - low) + 1;
    return low + (int64_t) (egov_splitmix64 (state) % span);
}

//  The population's birth years are written as of 2026; made as of a later
//  year, everyone is born that many years later
#define s_BASE_YEAR 2026
#define s_LAST_YEAR 2099            //  IINs stop at births in 2099

static int s_year;
static pthread_once_t s_year_once = PTHREAD_ONCE_INIT;

static void
s_year_read (void)
{
    time_t now = time (NULL);
    struct tm parts;
    gmtime_r (&now, &parts);
    s_year = parts.tm_year + 1900;
    const char *given = getenv ("EGOV_POPULATION_YEAR");
    if (given && *given) {
        char *end = NULL;
        long year = strtol (given, &end, 10);
        if (*end || year < s_BASE_YEAR || year > s_LAST_YEAR)
            zsys_warning ("EGOV_POPULATION_YEAR=%.20s is not a year from %d to %d; using %d",
                          given, s_BASE_YEAR, s_LAST_YEAR, s_year);
        else
            s_year = (int) year;
    }
    if (s_year < s_BASE_YEAR)
        s_year = s_BASE_YEAR;
    if (s_year > s_LAST_YEAR)
        s_year = s_LAST_YEAR;
}

int
egov_population_year (void)
{
    pthread_once (&s_year_once, s_year_read);
    return s_year;
}

int64_t
egov_population_as_of (void)
{
    return egov_date_days (egov_population_year (), 1, 1);
}

int
egov_population_shifted (int year)
{
    return year + egov_population_year () - s_BASE_YEAR;
}

bool
egov_population_reserved (const char *iin)
{
    for (const char **reserved = egov_population_reserved_iins; *reserved; reserved++)
        if (streq (*reserved, iin))
            return true;
    return false;
}

//  A random day between two dates given as years (first of January of
//  first_year up to the last of December of last_year).
static int64_t
s_day_between_years (uint64_t *state, int first_year, int last_year)
{
    return egov_random_between (state, egov_date_days (egov_population_shifted (first_year), 1, 1),
                                egov_date_days (egov_population_shifted (last_year), 12, 31));
}

//  Birth day of a mother's next child: between her 20th and 40th birthdays,
//  at least a year and a half after the previous child, leaving room for
//  the remaining ones, and never after the as-of date.
static int64_t
s_child_birth (uint64_t *state, int64_t mother_birth, int64_t previous_child, int remaining)
{
    const int64_t spacing = 548;
    int64_t last = mother_birth + 40 * 365;
    int64_t as_of = egov_population_as_of () - 20;
    if (last > as_of)
        last = as_of;
    int64_t earliest = previous_child < 0 ? mother_birth + 20 * 365 : previous_child + spacing;
    int64_t latest = last - remaining * spacing;
    int64_t usual = previous_child < 0 ? earliest + 12 * 365 : previous_child + 6 * 365;
    if (latest > usual)
        latest = usual;
    if (latest < earliest)
        latest = earliest;
    int64_t born = egov_random_between (state, earliest, latest);
    return born < last ? born : last;
}

//  Fills the roles, genders, birth days and parents of one household's
//  slots from its own random sequence, so any person can be made without
//  the households before it.
static void
s_household_plan (uint64_t seed, size_t household, egov_population_id_t plan [EGOV_POPULATION_HOUSEHOLD])
{
    uint64_t state = seed ^ ((uint64_t) (household + 1) * 0xd1b54a32d192ed03ULL);
    egov_splitmix64 (&state);
    int draw = (int) egov_random_between (&state, 0, 99);
    s_household_kind_t kind = draw < 45 ? s_COUPLE_TWO_CHILDREN
                            : draw < 70 ? s_COUPLE_CHILD_ELDER
                            : draw < 88 ? s_FOUR_SINGLES
                            :             s_MOTHER_THREE_CHILDREN;
    int64_t first_index = (int64_t) (household * EGOV_POPULATION_HOUSEHOLD);
    for (int slot = 0; slot < EGOV_POPULATION_HOUSEHOLD; slot++) {
        memset (&plan [slot], 0, sizeof (plan [slot]));
        plan [slot].household = household;
        plan [slot].mother = -1;
        plan [slot].father = -1;
    }
    //  Latest birth of a mother, so she is at least 24 on the as-of date
    int64_t latest_mother = egov_date_days (egov_population_shifted (2001), 12, 31);
    int64_t previous_child = -1;
    switch (kind) {
        case s_COUPLE_TWO_CHILDREN:
        case s_COUPLE_CHILD_ELDER: {
            plan [0].role = EGOV_POPULATION_FATHER;
            plan [0].male = true;
            plan [0].birth_days = s_day_between_years (&state, 1962, 1999);
            plan [1].role = EGOV_POPULATION_MOTHER;
            plan [1].male = false;
            int64_t mother = plan [0].birth_days + egov_random_between (&state, -2 * 365, 6 * 365);
            plan [1].birth_days = mother < latest_mother ? mother : latest_mother;
            int children = kind == s_COUPLE_TWO_CHILDREN ? 2 : 1;
            for (int slot = 2; slot < 2 + children; slot++) {
                plan [slot].role = EGOV_POPULATION_CHILD;
                plan [slot].male = egov_splitmix64 (&state) & 1;
                plan [slot].birth_days = s_child_birth (&state, plan [1].birth_days, previous_child,
                                                         1 + children - slot);
                plan [slot].father = first_index;
                plan [slot].mother = first_index + 1;
                previous_child = plan [slot].birth_days;
            }
            if (kind == s_COUPLE_CHILD_ELDER) {
                plan [3].role = EGOV_POPULATION_SINGLE;
                plan [3].male = egov_splitmix64 (&state) & 1;
                plan [3].birth_days = s_day_between_years (&state, 1938, 1962);
            }
            break;
        }
        case s_FOUR_SINGLES:
            for (int slot = 0; slot < EGOV_POPULATION_HOUSEHOLD; slot++) {
                plan [slot].role = EGOV_POPULATION_SINGLE;
                plan [slot].male = egov_splitmix64 (&state) & 1;
                plan [slot].birth_days = s_day_between_years (&state, 1945, 2007);
            }
            break;
        case s_MOTHER_THREE_CHILDREN:
            plan [0].role = EGOV_POPULATION_MOTHER;
            plan [0].male = false;
            plan [0].birth_days = s_day_between_years (&state, 1966, 2000);
            for (int slot = 1; slot < EGOV_POPULATION_HOUSEHOLD; slot++) {
                plan [slot].role = EGOV_POPULATION_CHILD;
                plan [slot].male = egov_splitmix64 (&state) & 1;
                plan [slot].birth_days = s_child_birth (&state, plan [0].birth_days, previous_child,
                                                         EGOV_POPULATION_HOUSEHOLD - 1 - slot);
                plan [slot].mother = first_index;
                previous_child = plan [slot].birth_days;
            }
            break;
    }
}

//  Gives person an IIN: a serial from the household's sequence, moved on
//  past unissuable, reserved and already used numbers.
static void
s_assign_iin (egov_population_id_t *person, uint64_t *state, zhashx_t *used)
{
    int year, month, day;
    egov_date_from_days (person->birth_days, &year, &month, &day);
    int serial = (int) egov_random_between (state, 0, 9999);
    for (int attempt = 0; attempt < 10000; attempt++) {
        if (egov_iin_make (person->iin, year, month, day, person->male, serial)
        &&  !egov_population_reserved (person->iin)
        &&  !zhashx_lookup (used, person->iin)) {
            zhashx_insert (used, person->iin, person);
            return;
        }
        serial = (serial + 1) % 10000;
    }
    //  Ten thousand people of one gender born on one day: a population far
    //  beyond what this generator is for
    assert (false);
}

egov_population_ids_t *
egov_population_ids_new (uint64_t seed, size_t count)
{
    egov_population_ids_t *self = calloc (1, sizeof (egov_population_ids_t));
    assert (self);
    self->count = count;
    self->people = calloc (count ? count : 1, sizeof (egov_population_id_t));
    assert (self->people);
    //  Keys point into people, which never moves
    zhashx_t *used = zhashx_new ();
    assert (used);
    zhashx_set_key_duplicator (used, NULL);
    zhashx_set_key_destructor (used, NULL);
    size_t households = (count + EGOV_POPULATION_HOUSEHOLD - 1) / EGOV_POPULATION_HOUSEHOLD;
    for (size_t household = 0; household < households; household++) {
        egov_population_id_t plan [EGOV_POPULATION_HOUSEHOLD];
        s_household_plan (seed, household, plan);
        uint64_t serials = seed ^ ((uint64_t) (household + 1) * 0x8cb92ba72f3d8dd7ULL);
        for (int slot = 0; slot < EGOV_POPULATION_HOUSEHOLD; slot++) {
            size_t index = household * EGOV_POPULATION_HOUSEHOLD + slot;
            if (index >= count)
                break;
            self->people [index] = plan [slot];
            s_assign_iin (&self->people [index], &serials, used);
        }
    }
    zhashx_destroy (&used);
    return self;
}

void
egov_population_ids_destroy (egov_population_ids_t **self_p)
{
    assert (self_p);
    egov_population_ids_t *self = *self_p;
    if (self) {
        free (self->people);
        free (self);
        *self_p = NULL;
    }
}

size_t
egov_population_ids_size (egov_population_ids_t *self)
{
    assert (self);
    return self->count;
}

const egov_population_id_t *
egov_population_ids_get (egov_population_ids_t *self, size_t index)
{
    assert (self);
    assert (index < self->count);
    return &self->people [index];
}

void
egov_population_ids_test (bool verbose)
{
    if (verbose)
        printf (" * egov_population_ids: ");

    for (const char **reserved = egov_population_reserved_iins; *reserved; reserved++)
        assert (egov_iin_valid (*reserved, NULL));
    assert (egov_population_reserved ("010101599994"));
    assert (!egov_population_reserved ("850314301235"));

    uint64_t state = 1;
    uint64_t again = 1;
    assert (egov_splitmix64 (&state) == egov_splitmix64 (&again));
    for (int draw = 0; draw < 1000; draw++) {
        int64_t value = egov_random_between (&state, -3, 3);
        assert (value >= -3 && value <= 3);
    }

    //  The same seed gives the same people; a smaller count is a prefix
    egov_population_ids_t *large = egov_population_ids_new (EGOV_POPULATION_SEED, 10003);
    egov_population_ids_t *small = egov_population_ids_new (EGOV_POPULATION_SEED, 1001);
    egov_population_ids_t *other = egov_population_ids_new (EGOV_POPULATION_SEED + 1, 1001);
    assert (egov_population_ids_size (large) == 10003);
    size_t differing = 0;
    for (size_t index = 0; index < 1001; index++) {
        const egov_population_id_t *big = egov_population_ids_get (large, index);
        const egov_population_id_t *little = egov_population_ids_get (small, index);
        assert (streq (big->iin, little->iin));
        assert (big->birth_days == little->birth_days && big->role == little->role);
        if (!streq (egov_population_ids_get (other, index)->iin, big->iin))
            differing++;
    }
    assert (differing > 990);

    //  Every IIN valid, unique, agreeing with birth date and gender; parents
    //  older than their children and in the same household
    zhashx_t *seen = zhashx_new ();
    assert (seen);
    int64_t as_of = egov_population_as_of ();
    size_t born_after_2008 = 0, under_seven = 0;
    for (size_t index = 0; index < egov_population_ids_size (large); index++) {
        const egov_population_id_t *person = egov_population_ids_get (large, index);
        assert (egov_iin_valid (person->iin, NULL));
        assert (!egov_population_reserved (person->iin));
        assert (zhashx_insert (seen, person->iin, (void *) person) == 0);
        int year, month, day;
        assert (egov_iin_birth_date (person->iin, &year, &month, &day));
        assert (egov_date_days (year, month, day) == person->birth_days);
        assert (egov_iin_male (person->iin) == person->male);
        assert (person->birth_days < as_of);
        assert (person->household == index / EGOV_POPULATION_HOUSEHOLD);
        if (person->role == EGOV_POPULATION_CHILD) {
            assert (person->mother >= 0 && (size_t) person->mother < index);
            const egov_population_id_t *mother = egov_population_ids_get (large, person->mother);
            assert (mother->role == EGOV_POPULATION_MOTHER && !mother->male);
            assert (mother->household == person->household);
            assert (person->birth_days - mother->birth_days >= 20 * 365 - 5 * 365);
            if (person->father >= 0) {
                const egov_population_id_t *father = egov_population_ids_get (large, person->father);
                assert (father->role == EGOV_POPULATION_FATHER && father->male);
                assert (father->birth_days < person->birth_days);
            }
            const egov_population_id_t *previous = egov_population_ids_get (large, index - 1);
            if (previous->role == EGOV_POPULATION_CHILD)
                assert (person->birth_days - previous->birth_days >= 548);
            if (person->birth_days >= egov_date_days (egov_population_shifted (2009), 1, 1))
                born_after_2008++;
            if (as_of - person->birth_days < 7 * 365)
                under_seven++;
        }
        else {
            assert (person->mother == -1 && person->father == -1);
            assert (as_of - person->birth_days >= 18 * 365);
        }
    }
    assert (born_after_2008 > 1000);
    //  Whatever the year it is made as of, it has children of kindergarten age
    assert (under_seven > 100);
    zhashx_destroy (&seen);

    egov_population_ids_t *empty = egov_population_ids_new (EGOV_POPULATION_SEED, 0);
    assert (egov_population_ids_size (empty) == 0);
    egov_population_ids_destroy (&empty);
    egov_population_ids_destroy (&other);
    egov_population_ids_destroy (&small);
    egov_population_ids_destroy (&large);
    egov_population_ids_destroy (&large);
    assert (large == NULL);

    if (verbose)
        printf ("OK\n");
}
