"""A second, harder SYNTHETIC London population for testing linkage: independent of the linker's tables.

``boroughs support synth --mode hard --residents N --seed S --out DIR`` writes ``SYNTHETIC_persons.csv`` (the
records, canonical person schema plus ``sex``), ``SYNTHETIC_ground_truth.csv`` (record → true person and
household, and which hard case the record belongs to) and ``SYNTHETIC_manifest.json``.

Why a second generator: the borough generator (``synth.py``) draws nicknames and other spellings from
``names.NAME_GROUPS``, the very table the linker uses to undo them, so measuring the linker on it flatters
the linker. Nothing here is imported from ``names.py`` or ``linkage.py``: the names, their variants and
transliterations, the typing errors and the record-keeping habits of each source are this module's own.
The cases it makes on purpose are the ones that make councils merge two people or miss one:

* spellings and transliterations (Mohammed/Muhammad/Mohamed, Nguyễn/Nguyen, Oluwaseun/Seun, Małgorzata/Gosia),
  typing errors (keyboard neighbours, dropped, doubled and swapped letters), names in upper or lower case,
  a middle name in the first-name field, first and last name swapped;
* hyphenated and double-barrelled surnames written whole, with a space, or as one part;
* women's names changed on marriage (older records under the former surname, often at the former address);
* moves within the borough and from another borough (older records at the old address);
* day and month swapped, a wrong digit, dates of birth missing by source;
* twins (same surname, address and date of birth, different first names);
* a parent and child of the same name at one address (sometimes recorded with "Jr" or "Snr");
* a household phone number and email address shared by everyone at the address.

Nothing here is about a real person: names are drawn from illustrative lists, streets are made up, postcodes
are a real London postcode district followed by a random inward code (any real match is coincidence),
NI numbers use the prefix ``SZ`` (never issued), phone numbers are random and emails use ``example.net``.
Every row carries ``synthetic=SYNTHETIC``. The same seed gives byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SYNTHETIC = "SYNTHETIC"
AS_OF = dt.date(2026, 9, 30)
COLUMNS = ("source", "record_id", "first_name", "last_name", "dob", "address_line_1", "address_line_2",
           "postcode", "uprn", "national_id", "phone", "email", "sex", "synthetic")
TRUTH_COLUMNS = ("source", "record_id", "person_id", "household_id", "hard_case", "synthetic")

# ------------------------------------------------------------------------------------------------------
# this generator's own name tables: each entry is (the name as given, other ways records write it)

_F = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class _Group:
    key: str
    weight: float
    female: _F
    male: _F
    surnames: _F


GROUPS: tuple[_Group, ...] = (
    _Group("british", 0.34,
           (("Elizabeth", ("Liz", "Beth", "Lizzy", "Eliza")), ("Margaret", ("Maggie", "Peggy", "Marge")),
            ("Katherine", ("Kate", "Kath", "Catherine", "Kathryn")), ("Rebecca", ("Becky", "Bex")),
            ("Jennifer", ("Jen", "Jenny")), ("Victoria", ("Vicky", "Vikki")), ("Susan", ("Sue", "Suzanne")),
            ("Deborah", ("Debbie", "Debs")), ("Emily", ("Em", "Emilie")), ("Hannah", ("Hanna",)),
            ("Charlotte", ("Charlie", "Lottie")), ("Gemma", ("Jemma",)), ("Louise", ("Lou", "Louisa")),
            ("Rachel", ("Rachael",)), ("Natalie", ("Nat", "Nathalie")), ("Sophie", ("Sophia", "Soph")),
            ("Claire", ("Clare",)), ("Joanne", ("Jo", "Joanna")), ("Amy", ("Aimee",)), ("Laura", ("Lauren",))),
           (("William", ("Bill", "Will", "Billy")), ("Robert", ("Bob", "Rob", "Robbie")),
            ("Richard", ("Rich", "Rick", "Dick")), ("Christopher", ("Chris", "Kristopher")),
            ("Jonathan", ("Jon", "Jonny", "John")), ("Daniel", ("Dan", "Danny")), ("Thomas", ("Tom", "Tommy")),
            ("James", ("Jim", "Jimmy", "Jamie")), ("Edward", ("Ed", "Ted", "Eddie")), ("Michael", ("Mike", "Mick")),
            ("Anthony", ("Tony", "Antony")), ("Nicholas", ("Nick", "Nicolas")), ("Matthew", ("Matt", "Mathew")),
            ("Stephen", ("Steve", "Steven")), ("Alexander", ("Alex", "Sandy")), ("Philip", ("Phil", "Phillip")),
            ("Gary", ("Garry",)), ("Craig", ("Kraig",)), ("Lee", ("Leigh",)), ("Darren", ("Daz",))),
           (("Smith", ("Smyth",)), ("Jones", ()), ("Taylor", ("Tailor",)), ("Brown", ("Browne",)),
            ("Williams", ("Williamson",)), ("Davies", ("Davis",)), ("Thompson", ("Thomson",)),
            ("Clarke", ("Clark",)), ("Phillips", ("Philips",)), ("Stephens", ("Stevens",)), ("Walker", ()),
            ("Wright", ()), ("Green", ("Greene",)), ("Hall", ()), ("Wood", ("Woods",)), ("Harris", ()),
            ("Martin", ()), ("Cooper", ()), ("King", ()), ("Reid", ("Reed", "Read")), ("Campbell", ()),
            ("Grant", ()), ("Francis", ("Frances",)), ("Morgan", ()), ("Bailey", ("Baily",)))),
    _Group("south_asian", 0.22,
           (("Fatima", ("Fatema", "Fatimah", "Fathima")), ("Aisha", ("Ayesha", "Aysha", "Aishah")),
            ("Shahida", ("Sahida",)), ("Rahima", ("Rohima", "Raheema")), ("Nasreen", ("Nasrin", "Nasrine")),
            ("Priya", ("Preeya",)), ("Sunita", ("Suneeta",)), ("Harpreet", ("Harprit",)),
            ("Gurpreet", ("Gurprit",)), ("Shabana", ("Shabnam",)), ("Ruksana", ("Rukhsana", "Roksana")),
            ("Salma", ("Selma",)), ("Jasmin", ("Jesmin", "Yasmin")), ("Farzana", ("Farjana",))),
           (("Mohammed", ("Muhammad", "Mohamed", "Mohammad", "Muhammed", "Mohd")),
            ("Abdul", ("Abdool", "Abdhul")), ("Rahim", ("Raheem",)), ("Shahid", ("Shaheed", "Sahid")),
            ("Rajesh", ("Raj",)), ("Sanjay", ("Sanjai",)), ("Harjit", ("Harjeet",)), ("Imran", ("Imraan",)),
            ("Tariq", ("Tarik", "Tareq")), ("Yusuf", ("Yousef", "Yusef", "Yousuf")), ("Ibrahim", ("Ebrahim",)),
            ("Mizanur", ("Mizan",)), ("Faisal", ("Faysal",)), ("Arjun", ("Arjan",))),
           (("Begum", ("Begom", "Bagum")), ("Khatun", ("Khatoon", "Khaton")), ("Miah", ("Mia", "Meah")),
            ("Uddin", ("Udin", "Uddine")), ("Chowdhury", ("Choudhury", "Chowdhry", "Chaudhry")),
            ("Rahman", ("Rehman",)), ("Islam", ()), ("Hoque", ("Haque", "Hoq")), ("Ahmed", ("Ahmad",)),
            ("Hussain", ("Hussein", "Husain", "Hossain")), ("Khan", ()), ("Patel", ()), ("Shah", ()),
            ("Singh", ()), ("Kaur", ()), ("Sharma", ("Sarma",)), ("Iqbal", ("Ikbal",)), ("Malik", ("Mallik",)))),
    _Group("west_african", 0.12,
           (("Oluwaseun", ("Seun", "Oluseun")), ("Folasade", ("Sade", "Folashade")), ("Ngozi", ("Ngozie",)),
            ("Temitope", ("Tope", "Temi")), ("Oluwakemi", ("Kemi",)), ("Chiamaka", ("Amaka",)),
            ("Abiola", ("Biola",)), ("Adaeze", ("Ada",)), ("Funmilayo", ("Funmi", "Funmilola")),
            ("Blessing", ("Blessed",)), ("Akosua", ("Akos",)), ("Abena", ("Abenaa",))),
           (("Oluwatobi", ("Tobi", "Tobiloba")), ("Adebayo", ("Bayo",)), ("Chukwuemeka", ("Emeka",)),
            ("Chinedu", ("Chi", "Chinedum")), ("Olumide", ("Mide",)), ("Babajide", ("Jide",)),
            ("Oluwadamilare", ("Dami", "Damilare")), ("Kwame", ("Kwamé",)), ("Kofi", ("Coffie",)),
            ("Ifeanyi", ("Ifeanyichukwu", "Ify")), ("Segun", ("Olusegun",)), ("Emmanuel", ("Emma", "Manny"))),
           (("Adeyemi", ("Adeyemo",)), ("Okafor", ("Okafo",)), ("Okonkwo", ("Okonkow",)), ("Balogun", ()),
            ("Adewale", ("Adewali",)), ("Eze", ()), ("Nwosu", ("Nwoso",)), ("Ogunleye", ("Ogunlaye",)),
            ("Mensah", ("Mensa",)), ("Asante", ("Asanti",)), ("Boateng", ()), ("Owusu", ("Owusuh",)),
            ("Oyelaran", ()), ("Afolabi", ()))),
    _Group("east_european", 0.1,
           (("Małgorzata", ("Malgorzata", "Gosia")), ("Katarzyna", ("Kasia", "Kate")), ("Agnieszka", ("Aga",)),
            ("Aleksandra", ("Ola", "Alexandra")), ("Ioana", ("Joana",)), ("Andreea", ("Andrea",)),
            ("Žaneta", ("Zaneta",)), ("Jūratė", ("Jurate",))),
           (("Wojciech", ("Wojtek",)), ("Krzysztof", ("Krzys", "Christopher")), ("Łukasz", ("Lukasz", "Luke")),
            ("Paweł", ("Pawel", "Paul")), ("Tomasz", ("Tomek", "Thomas")), ("Mihai", ("Mihail",)),
            ("Ionuț", ("Ionut",)), ("Tomas", ("Tomasz",))),
           (("Nowak", ("Novak",)), ("Kowalski", ("Kowalsky",)), ("Wiśniewski", ("Wisniewski",)),
            ("Wójcik", ("Wojcik",)), ("Lewandowska", ("Lewandowski",)), ("Popescu", ("Popesku",)),
            ("Kazlauskas", ("Kazlauskiene",)), ("Dąbrowski", ("Dabrowski",)))),
    _Group("east_asian", 0.07,
           (("Thị Lan", ("Thi Lan", "Lan")), ("Hương", ("Huong",)), ("Linh", ("Lin",)), ("Mei", ("May",)),
            ("Xiu Ying", ("Xiuying", "Ying")), ("Ngọc Anh", ("Ngoc Anh", "Anh"))),
           (("Văn Minh", ("Van Minh", "Minh")), ("Đức", ("Duc",)), ("Tuấn", ("Tuan",)), ("Wei", ("Way",)),
            ("Jian Hao", ("Jianhao", "Jian")), ("Quang", ("Kwang",))),
           (("Nguyễn", ("Nguyen", "Nguyên")), ("Trần", ("Tran",)), ("Lê", ("Le",)), ("Phạm", ("Pham",)),
            ("Chen", ("Chan", "Chén")), ("Wang", ("Wong",)), ("Zhang", ("Cheung", "Chang")), ("Li", ("Lee",)))),
    _Group("middle_eastern_somali", 0.1,
           (("Fadumo", ("Faduma", "Fatuma")), ("Hodan", ("Hodaan",)), ("Khadija", ("Khadijah", "Hadiza")),
            ("Zainab", ("Zaynab", "Zeinab")), ("Ayşe", ("Ayse", "Aysha")), ("Elif", ("Eliff",)),
            ("Maryam", ("Mariam", "Meryem"))),
           (("Abdirahman", ("Abdi", "Abdurahman", "Abdulrahman")), ("Mohamud", ("Mohamed", "Mahmoud")),
            ("Hassan", ("Hasan",)), ("Osman", ("Usman", "Uthman")), ("Mustafa", ("Mostafa", "Moustafa")),
            ("Mehmet", ("Mehmed",)), ("Ahmet", ("Ahmed",))),
           (("Abdi", ("Abdiy",)), ("Farah", ("Farrah",)), ("Warsame", ("Warsami",)), ("Osman", ("Othman",)),
            ("Yılmaz", ("Yilmaz",)), ("Öztürk", ("Ozturk", "Oeztuerk")), ("Şahin", ("Sahin",)),
            ("Hassan", ("Hasan",)))),
    _Group("iberian_latin", 0.05,
           (("María José", ("Maria Jose", "Maria")), ("Inês", ("Ines",)), ("Conceição", ("Conceicao",)),
            ("Luísa", ("Luisa", "Louisa"))),
           (("João", ("Joao",)), ("José", ("Jose",)), ("Gonçalo", ("Goncalo",)), ("Sebastián", ("Sebastian",))),
           (("Gonçalves", ("Goncalves",)), ("da Silva", ("Silva", "Da-Silva", "DaSilva")),
            ("dos Santos", ("Santos", "Dos Santos")), ("Rodríguez", ("Rodriguez",)), ("Pereira", ("Perreira",)))),
)

# real London postcode districts (outward codes); inward codes are random
DISTRICTS = ("E6", "E7", "E12", "E13", "E15", "E16", "E1", "E2", "E3", "E14", "N15", "N17", "SE15", "SE5",
             "SW9", "NW10", "CR0", "IG1", "HA9", "UB3")
HOME_DISTRICTS = DISTRICTS[:6]  # the borough; the rest are where movers came from
STREETS = ("Albion", "Beaconsfield", "Carnarvon", "Dunbar", "Elmhurst", "Forest", "Glenparke", "Harcourt",
           "Kingsland", "Lonsdale", "Monega", "Norwich", "Osborne", "Plashet", "Queens", "Ripple", "Sherrard",
           "Tennyson", "Upton", "Vicarage", "Whitfield", "Katherine", "Boleyn", "Romford", "Shrewsbury")
STREET_KINDS = ("Road", "Street", "Avenue", "Gardens", "Close", "Grove", "Way")
KEYBOARD = {c: n for c, n in zip(
    "qwertyuiopasdfghjklzxcvbnm",
    ("wa", "qes", "wrd", "etf", "rtg", "tyh", "yuj", "uik", "iol", "op", "qsz", "awdx", "sefc", "drgv", "fthb",
     "gyjn", "hukm", "jil", "kol", "asx", "zsdc", "xdfv", "cfgb", "vghn", "bhjm", "njk"), strict=True)}
SUFFIXES = {"junior": ("Jr", "Jnr", "Junior"), "senior": ("Snr", "Sr", "Senior")}

# sources: who they hold and how well (probability a field is filled in; error rates)


@dataclass(frozen=True)
class _Source:
    key: str
    dob: float
    ni: float
    phone: float
    email: float
    uprn: float
    sex: float
    typo: float
    variant: float
    dob_error: float
    duplicate: float = 0.0
    case: str = "title"


SOURCES = {
    "electoral": _Source("electoral", 0.0, 0.0, 0.0, 0.0, 0.9, 0.0, 0.02, 0.03, 0.0, case="upper"),
    "council_tax": _Source("council_tax", 0.3, 0.1, 0.5, 0.4, 0.95, 0.0, 0.03, 0.08, 0.02, case="upper"),
    "housing": _Source("housing", 0.95, 0.6, 0.7, 0.4, 1.0, 0.5, 0.03, 0.06, 0.03, duplicate=0.04),
    "benefits": _Source("benefits", 0.99, 0.97, 0.6, 0.3, 0.8, 0.9, 0.01, 0.03, 0.01),
    "schools": _Source("schools", 0.99, 0.0, 0.8, 0.7, 0.5, 0.99, 0.03, 0.1, 0.02),
    "social_care": _Source("social_care", 0.95, 0.7, 0.6, 0.2, 0.4, 0.95, 0.05, 0.12, 0.04, duplicate=0.05),
    "vcs": _Source("vcs", 0.5, 0.05, 0.7, 0.4, 0.0, 0.3, 0.08, 0.25, 0.05, case="lower"),
}


@dataclass
class _Address:
    line1: str
    postcode: str
    uprn: str


@dataclass
class _Person:
    person_id: str
    household_id: str
    first: str
    first_variants: tuple[str, ...]
    last: str
    last_variants: tuple[str, ...]
    sex: str
    dob: dt.date
    ni: str
    phone: str
    email: str
    former_last: str | None = None
    suffix: str | None = None  # junior / senior
    cases: list[str] = field(default_factory=list)


@dataclass
class HardResult:
    residents: int
    households: int
    records: int
    cases: dict[str, int]
    files: list[Path]


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n_people = 0
        self.used_uprn: set[str] = set()
        self.postcodes: dict[tuple[str, str], list[str]] = {}

    def address(self, districts: tuple[str, ...]) -> _Address:
        r = self.rng
        district = r.choice(districts)
        street = f"{r.choice(STREETS)} {r.choice(STREET_KINDS)}"
        # a postcode covers a stretch of one street (a dozen or so homes), as real ones do
        codes = self.postcodes.setdefault((district, street), [])
        if len(codes) < 3:
            inward = f"{r.randint(1, 9)}{r.choice('ABDEFGHJLNPQRSTUWXYZ')}{r.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            codes.append(f"{district} {inward}")
        postcode = r.choice(codes)
        if r.random() < 0.3:
            line1 = f"Flat {r.randint(1, 60)}, {street.split()[0]} {r.choice(('House', 'Court', 'Point'))}"
        else:
            line1 = f"{r.randint(1, 240)} {street}"
        while True:
            uprn = "98" + "".join(r.choice("0123456789") for _ in range(10))
            if uprn not in self.used_uprn:
                self.used_uprn.add(uprn)
                break
        return _Address(line1, postcode, uprn)

    def person(self, hh: str, group: _Group, sex: str, dob: dt.date, surname: tuple[str, tuple[str, ...]],
               *, avoid: set[str] | None = None, phone: str = "", email: str = "") -> _Person:
        r = self.rng
        names = group.female if sex == "f" else group.male
        first, variants = r.choice(names)
        for _ in range(30):  # a different name from the siblings' when the list allows
            if not avoid or first not in avoid:
                break
            first, variants = r.choice(names)
        self.n_people += 1
        ni = "SZ" + "".join(r.choice("0123456789") for _ in range(6)) + r.choice("ABCD")
        own_phone = "07" + "".join(r.choice("0123456789") for _ in range(9))
        user = f"{_fold_ascii(first).split()[0]}.{_fold_ascii(surname[0]).split()[-1]}".lower()
        own_email = f"{user}{r.randint(1, 99999)}@example.net"
        return _Person(f"P{self.n_people:07d}", hh, first, variants, surname[0], surname[1], sex, dob, ni,
                       phone or own_phone, email or own_email)

    def dob(self, lo: int, hi: int) -> dt.date:
        days = self.rng.randint(lo * 365, hi * 365 + 364)
        return AS_OF - dt.timedelta(days=days)


# what systems without accented letters write instead (letters NFKD does not decompose)
_ASCII = str.maketrans({"Đ": "D", "đ": "d", "ł": "l", "Ł": "L", "ı": "i", "İ": "I"})


def _fold_ascii(s: str) -> str:
    import unicodedata

    plain = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    return plain.translate(_ASCII)


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 4:
        return s
    i = rng.randrange(1, len(s) - 1)
    c = s[i].lower()
    kind = rng.random()
    if kind < 0.35 and c in KEYBOARD:  # a neighbouring key
        rep = rng.choice(KEYBOARD[c])
        return s[:i] + (rep.upper() if s[i].isupper() else rep) + s[i + 1:]
    if kind < 0.55:  # a dropped letter
        return s[:i] + s[i + 1:]
    if kind < 0.75:  # a doubled letter
        return s[:i] + s[i] + s[i:]
    return s[:i] + s[i + 1] + s[i] + s[i + 2:]  # two letters swapped


def _case(s: str, how: str) -> str:
    return s.upper() if how == "upper" else s.lower() if how == "lower" else s


def _record(rng: random.Random, p: _Person, src: _Source, addr: _Address, *, old: bool) -> dict[str, str]:
    first = p.first
    if rng.random() < src.variant and p.first_variants:
        first = rng.choice(p.first_variants)
    last = p.former_last if (old and p.former_last) else p.last
    if "-" in last and rng.random() < 0.5:  # double-barrelled: one part, or a space for the hyphen
        parts = last.split("-")
        last = rng.choice((parts[0], parts[1], " ".join(parts)))
    elif rng.random() < src.variant * 0.6 and p.last_variants and last == p.last:
        last = rng.choice(p.last_variants)
    if rng.random() < 0.5:  # accents dropped by many systems
        first, last = _fold_ascii(first), _fold_ascii(last)
    if rng.random() < src.typo:
        first = _typo(rng, first)
    if rng.random() < src.typo:
        last = _typo(rng, last)
    if p.suffix and rng.random() < 0.3:
        suffix = rng.choice(SUFFIXES[p.suffix])
        if rng.random() < 0.5:
            last = f"{last} {suffix}"
        else:
            first = f"{first} {suffix}"
    if rng.random() < 0.01:
        first, last = last, first
    dob = ""
    if rng.random() < src.dob:
        d = p.dob
        dob = d.isoformat()
        if rng.random() < src.dob_error:
            kind = rng.random()
            if kind < 0.5 and d.day <= 12 and d.day != d.month:
                dob = f"{d.year:04d}-{d.day:02d}-{d.month:02d}"  # day and month swapped
            elif kind < 0.8:
                day = min(28, max(1, d.day + rng.choice((-1, 1, -10, 10))))
                dob = f"{d.year:04d}-{d.month:02d}-{day:02d}"  # a wrong digit in the day
            else:
                dob = f"{d.year + rng.choice((-1, 1)):04d}-{d.month:02d}-{d.day:02d}"  # year out by one
        if rng.random() < 0.3:
            y, m, dd = dob.split("-")
            dob = f"{dd}/{m}/{y}"  # some systems export UK order
    postcode = addr.postcode
    if rng.random() < src.typo * 0.5:
        postcode = postcode.replace(" ", "") if rng.random() < 0.5 else postcode[:-1] + rng.choice("ABDEFGHJ")
    return {
        "first_name": _case(first, src.case), "last_name": _case(last, src.case), "dob": dob,
        "address_line_1": _case(addr.line1, src.case), "address_line_2": "London", "postcode": postcode,
        "uprn": addr.uprn if rng.random() < src.uprn else "",
        "national_id": p.ni if rng.random() < src.ni else "",
        "phone": p.phone if rng.random() < src.phone else "",
        "email": p.email if rng.random() < src.email else "",
        "sex": p.sex.upper() if rng.random() < src.sex else "",
    }


def synthesise_hard(residents: int, seed: int, out: Path,
                    progress: Callable[[int], None] | None = None) -> HardResult:
    """Write the hard SYNTHETIC population of about ``residents`` people to ``out``."""
    if residents < 1:
        raise ValueError("--residents must be at least 1")
    out.mkdir(parents=True, exist_ok=True)
    g = _Gen(seed)
    r = g.rng
    weights = [grp.weight for grp in GROUPS]
    rows: list[dict[str, str]] = []
    truth: list[dict[str, str]] = []
    counters: dict[str, int] = {}
    cases: dict[str, int] = {}
    n_households = 0
    reported = 0
    while g.n_people < residents:
        n_households += 1
        hh = f"H{n_households:07d}"
        grp = r.choices(GROUPS, weights)[0]
        surname = r.choice(grp.surnames)
        home = g.address(HOME_DISTRICTS)
        moved = r.random() < 0.12
        old_home = g.address(HOME_DISTRICTS if r.random() < 0.6 else DISTRICTS[6:]) if moved else None
        shared_phone = "07" + "".join(r.choice("0123456789") for _ in range(9)) if r.random() < 0.4 else ""
        shared_email = f"family.{_fold_ascii(surname[0]).split()[-1].lower()}{r.randint(1, 99)}@example.net" \
            if r.random() < 0.25 else ""
        kind = r.random()
        people: list[_Person] = []

        def add(sex: str, dob: dt.date, sn: tuple[str, tuple[str, ...]] = surname,
                avoid: set[str] | None = None) -> _Person:
            # called only within this household's iteration
            p = g.person(hh, grp, sex, dob, sn, avoid=avoid, phone=shared_phone, email=shared_email)  # noqa: B023
            people.append(p)  # noqa: B023
            return p

        if kind < 0.3:  # one person
            add(r.choice("fm"), g.dob(18, 90))
        elif kind < 0.85:  # a couple, perhaps with children
            man = add("m", g.dob(25, 70))
            woman_grp = grp if r.random() < 0.85 else r.choices(GROUPS, weights)[0]
            maiden = r.choice(woman_grp.surnames)
            woman_surname = surname
            if r.random() < 0.1:  # double-barrelled
                woman_surname = (f"{_fold_ascii(maiden[0])}-{_fold_ascii(surname[0])}", ())
                man.last, man.last_variants = woman_surname
            woman = g.person(hh, woman_grp, "f", g.dob(23, 68), woman_surname, phone=shared_phone,
                             email=shared_email)
            people.append(woman)
            if maiden[0] != woman_surname[0] and r.random() < 0.45:
                woman.former_last = maiden[0]
                woman.cases.append("marriage")
            n_children = r.choice((0, 0, 1, 2, 2, 3, 4)) if kind < 0.75 else 0
            youngest_parent = min(_age(man.dob), _age(woman.dob))
            used: set[str] = {man.first, woman.first}
            if n_children and youngest_parent > 20 and r.random() < 0.07:  # twins
                dob = g.dob(0, min(30, youngest_parent - 18))
                for _ in range(2):
                    twin = add(r.choice("fm"), dob, woman_surname if "-" in woman_surname[0] else surname, used)
                    used.add(twin.first)
                    twin.cases.append("twin")
                n_children -= 1
            if n_children and youngest_parent > 36 and r.random() < 0.12:  # the son has his father's name
                son = add("m", g.dob(16, min(35, _age(man.dob) - 18)),
                          woman_surname if "-" in woman_surname[0] else surname)
                son.first, son.first_variants = man.first, man.first_variants
                son.suffix, man.suffix = "junior", "senior"
                son.cases.append("same_name_parent")
                man.cases.append("same_name_parent")
                n_children -= 1
            for _ in range(max(0, n_children)):
                child = add(r.choice("fm"), g.dob(0, max(0, min(30, youngest_parent - 18))),
                            woman_surname if "-" in woman_surname[0] else surname, used)
                used.add(child.first)
        else:  # a shared house: unrelated adults, sometimes of one surname group
            for _ in range(r.randint(2, 5)):
                other = r.choices(GROUPS, weights)[0] if r.random() < 0.5 else grp
                g_surname = r.choice(other.surnames)
                p = g.person(hh, other, r.choice("fm"), g.dob(19, 60), g_surname)
                people.append(p)
        for p in people:
            if moved:
                p.cases.append("moved")
            age = _age(p.dob)
            held: list[str] = []
            if age >= 18:
                if r.random() < 0.85:
                    held.append("electoral")
                if r.random() < (0.6 if p is people[0] else 0.35):
                    held.append("council_tax")
                if r.random() < 0.35:
                    held.append("housing")
                if r.random() < 0.3:
                    held.append("benefits")
                if r.random() < (0.5 if age >= 65 else 0.04):
                    held.append("social_care")
            elif age >= 4:
                held.append("schools")
            if r.random() < 0.08:
                held.append("vcs")
            if not held:
                held.append("vcs" if age < 4 else "electoral")
            for key in held:
                src = SOURCES[key]
                copies = 2 if r.random() < src.duplicate else 1
                for _ in range(copies):
                    # the electoral register is renewed every year; other sources keep older details
                    old = bool((moved or p.former_last) and key != "electoral" and r.random() < 0.3)
                    addr = old_home if (old and old_home is not None) else home
                    rec = _record(r, p, src, addr, old=old)
                    counters[key] = counters.get(key, 0) + 1
                    rid = f"{key[:3].upper()}{counters[key]:08d}"
                    rows.append({"source": key, "record_id": rid, **rec, "synthetic": SYNTHETIC})
                    truth.append({"source": key, "record_id": rid, "person_id": p.person_id, "household_id": hh,
                                  "hard_case": "+".join(p.cases), "synthetic": SYNTHETIC})
            for c in p.cases:
                cases[c] = cases.get(c, 0) + 1
        if progress and g.n_people - reported >= 1000:
            progress(g.n_people - reported)
            reported = g.n_people
    if progress and g.n_people > reported:
        progress(g.n_people - reported)
    files = [out / "SYNTHETIC_persons.csv", out / "SYNTHETIC_ground_truth.csv", out / "SYNTHETIC_manifest.json"]
    for path, cols, data in ((files[0], COLUMNS, rows), (files[1], TRUTH_COLUMNS, truth)):
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(cols), lineterminator="\n")
            w.writeheader()
            w.writerows(data)
    manifest = {
        "synthetic": SYNTHETIC, "generator": "boroughs.support.synth.hard", "seed": seed,
        "residents": g.n_people, "households": n_households, "records": len(rows),
        "records_by_source": dict(sorted(counters.items())), "people_by_hard_case": dict(sorted(cases.items())),
        "note": "SYNTHETIC people: no record is about a real person. Independent of the linker's name tables.",
    }
    files[2].write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return HardResult(g.n_people, n_households, len(rows), dict(sorted(cases.items())), files)


def _age(dob: dt.date) -> int:
    return AS_OF.year - dob.year - ((AS_OF.month, AS_OF.day) < (dob.month, dob.day))
