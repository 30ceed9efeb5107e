"""Names from London's many communities, with their nicknames and transliterations.

Two uses:

* the synthetic population (``synth.py``) draws first names and surnames by community, and rewrites them
  the way real records do (a nickname on one form, another spelling of a transliterated name on another);
* linkage (``linkage.py``) maps every first name to a *name group* key, so that ``Bill`` and ``William``,
  or ``Mohammed`` and ``Muhammad``, can meet in blocking and score as equivalent names.

The lists are illustrative, not statistics: they cover communities with a large presence in London
(Census 2021 ethnic groups and main languages) so that tests and benchmarks do not assume anglophone names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Community:
    """A naming community: first names by sex, surnames, and the Census 2021 ethnic group it sits in."""

    key: str
    census_group: str  # one of CENSUS_GROUPS
    female: tuple[str, ...]
    male: tuple[str, ...]
    surnames: tuple[str, ...]


# Census 2021 high-level ethnic groups (TS021), as used for fairness monitoring.
CENSUS_GROUPS = ("Asian", "Black", "Mixed", "Other", "White")

COMMUNITIES: tuple[Community, ...] = (
    Community(
        "english", "White",
        ("Margaret", "Elizabeth", "Susan", "Patricia", "Jennifer", "Rebecca", "Victoria", "Katherine", "Sarah",
         "Emma", "Charlotte", "Olivia", "Amelia", "Jessica", "Hannah", "Lucy", "Sophie", "Chloe", "Grace", "Ellie",
         "Joanne", "Karen", "Deborah", "Jacqueline", "Samantha", "Christine", "Alison", "Helen", "Ruth", "Abigail"),
        ("William", "Robert", "James", "Michael", "Richard", "Thomas", "Edward", "Christopher", "Daniel", "Joseph",
         "Samuel", "Matthew", "Anthony", "Andrew", "David", "Stephen", "Jonathan", "Benjamin", "Oliver", "Harry",
         "George", "Jack", "Charlie", "Alfie", "Frederick", "Nicholas", "Timothy", "Peter", "Paul", "Mark"),
        ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
         "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
         "Harris", "Lewis", "Turner", "Hill", "Cooper", "Ward", "Morris", "King", "Baker", "Hughes", "Edwards",
         "Bennett", "Carter", "Mitchell", "Parker", "Collins", "Stewart", "Marshall", "Atkinson", "Fletcher"),
    ),
    Community(
        "irish", "White",
        ("Siobhan", "Aoife", "Niamh", "Ciara", "Roisin", "Bridget", "Maeve", "Orla", "Sinead", "Mary"),
        ("Sean", "Patrick", "Declan", "Cian", "Eoin", "Niall", "Ciaran", "Padraig", "Brendan", "Kevin"),
        ("Murphy", "Kelly", "O'Sullivan", "Walsh", "O'Brien", "Byrne", "Ryan", "O'Connor", "McCarthy", "Doyle",
         "Gallagher", "Quinn", "Brennan", "Kavanagh", "Fitzgerald"),
    ),
    Community(
        "polish", "White",
        ("Katarzyna", "Malgorzata", "Agnieszka", "Aleksandra", "Magdalena", "Joanna", "Monika", "Ewa", "Zofia",
         "Anna"),
        ("Krzysztof", "Piotr", "Tomasz", "Pawel", "Michal", "Marcin", "Grzegorz", "Lukasz", "Jakub", "Wojciech"),
        ("Nowak", "Kowalski", "Wisniewski", "Wojcik", "Kowalczyk", "Kaminski", "Lewandowski", "Zielinski",
         "Szymanski", "Wozniak", "Dabrowski", "Kozlowski"),
    ),
    Community(
        "romanian_lithuanian", "White",
        ("Ioana", "Andreea", "Elena", "Mihaela", "Gabriela", "Ruta", "Egle", "Ieva", "Jurgita", "Simona"),
        ("Andrei", "Ionut", "Mihai", "Florin", "Bogdan", "Tomas", "Mantas", "Darius", "Jonas", "Vytautas"),
        ("Popescu", "Ionescu", "Popa", "Dumitru", "Stan", "Stoica", "Kazlauskas", "Jankauskas", "Petrauskas",
         "Stankevicius", "Vasiliauskas", "Balan"),
    ),
    Community(
        "turkish_kurdish", "White",
        ("Ayse", "Fatma", "Emine", "Zeynep", "Elif", "Hatice", "Merve", "Esra", "Rojda", "Berfin"),
        ("Mehmet", "Mustafa", "Ahmet", "Ali", "Huseyin", "Hasan", "Ibrahim", "Emre", "Serhat", "Baran"),
        ("Yilmaz", "Kaya", "Demir", "Sahin", "Celik", "Yildiz", "Aydin", "Ozturk", "Arslan", "Dogan", "Kilic",
         "Aslan"),
    ),
    Community(
        "portuguese_brazilian", "Other",
        ("Ana", "Maria", "Beatriz", "Mariana", "Fernanda", "Juliana", "Camila", "Larissa", "Ines", "Rita"),
        ("Joao", "Pedro", "Tiago", "Rafael", "Lucas", "Gabriel", "Bruno", "Diogo", "Rodrigo", "Thiago"),
        ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins", "Souza",
         "Almeida", "Carvalho", "Gomes"),
    ),
    Community(
        "bangladeshi", "Asian",
        ("Fatima", "Nasima", "Shamima", "Rokeya", "Taslima", "Ruksana", "Sultana", "Jesmin", "Hasina", "Amina",
         "Sumaiya", "Tahmina"),
        ("Mohammed", "Abdul", "Mizanur", "Shahid", "Jamal", "Rafiq", "Anwar", "Kamal", "Habibur", "Rahim",
         "Sayed", "Nazrul"),
        ("Begum", "Khatun", "Ahmed", "Rahman", "Uddin", "Miah", "Ali", "Islam", "Hussain", "Chowdhury",
         "Hoque", "Khan", "Akhtar", "Bibi"),
    ),
    Community(
        "pakistani", "Asian",
        ("Ayesha", "Sana", "Zainab", "Maryam", "Noreen", "Shazia", "Rabia", "Saima", "Bushra", "Farah"),
        ("Muhammad", "Imran", "Asif", "Tariq", "Bilal", "Usman", "Waqar", "Zubair", "Kashif", "Yusuf"),
        ("Khan", "Ahmed", "Iqbal", "Hussain", "Malik", "Butt", "Qureshi", "Shah", "Raja", "Chaudhry", "Akram",
         "Mahmood"),
    ),
    Community(
        "indian", "Asian",
        ("Priya", "Anjali", "Sunita", "Kavita", "Deepa", "Meera", "Pooja", "Harpreet", "Gurpreet", "Lakshmi",
         "Neha", "Asha"),
        ("Rajesh", "Sanjay", "Amit", "Vijay", "Arjun", "Rahul", "Sunil", "Harjit", "Manpreet", "Krishna",
         "Ravi", "Deepak"),
        ("Patel", "Shah", "Sharma", "Singh", "Kaur", "Gupta", "Mehta", "Desai", "Joshi", "Kumar", "Sandhu",
         "Gill", "Parmar", "Mistry"),
    ),
    Community(
        "tamil_srilankan", "Asian",
        ("Tharshini", "Kavitha", "Nirmala", "Shanthi", "Vanitha", "Janani"),
        ("Sivakumar", "Tharshan", "Kumaran", "Rajan", "Suresh", "Ganesh"),
        ("Sivalingam", "Thuraisingham", "Rajaratnam", "Kanagaratnam", "Selvarajah", "Balasubramaniam"),
    ),
    Community(
        "chinese_vietnamese", "Asian",
        ("Mei", "Li", "Xiu", "Hui", "Ling", "Yan", "Thi", "Lan", "Hoa", "Linh"),
        ("Wei", "Jun", "Hao", "Ming", "Jian", "Lei", "Minh", "Duc", "Tuan", "Quang"),
        ("Wang", "Li", "Zhang", "Chen", "Liu", "Huang", "Wong", "Chan", "Nguyen", "Tran", "Le", "Pham"),
    ),
    Community(
        "nigerian_ghanaian", "Black",
        ("Oluwaseun", "Abimbola", "Folake", "Funmilayo", "Chiamaka", "Ngozi", "Adaeze", "Akosua", "Ama", "Abena",
         "Yetunde", "Temitope"),
        ("Oluwatobi", "Babatunde", "Chukwuemeka", "Olumide", "Adebayo", "Emeka", "Kwame", "Kofi", "Kwabena",
         "Oluwadamilare", "Ikechukwu", "Femi"),
        ("Adeyemi", "Okafor", "Okonkwo", "Adebayo", "Oladipo", "Ogunleye", "Mensah", "Owusu", "Boateng",
         "Asante", "Nwosu", "Eze", "Afolabi", "Adewale"),
    ),
    Community(
        "somali_eritrean", "Black",
        ("Hodan", "Fadumo", "Amran", "Sahra", "Ayan", "Hibo", "Filmon", "Senait", "Ruth", "Muna"),
        ("Abdirahman", "Abdullahi", "Mohamed", "Hassan", "Yusuf", "Omar", "Abdi", "Mahad", "Yonas", "Dawit"),
        ("Mohamed", "Ali", "Hassan", "Abdi", "Farah", "Warsame", "Osman", "Jama", "Tesfay", "Gebre", "Haile",
         "Ahmed"),
    ),
    Community(
        "caribbean", "Black",
        ("Marcia", "Beverley", "Sharon", "Claudette", "Jasmine", "Tanisha", "Shanice", "Kezia", "Simone",
         "Andrea"),
        ("Winston", "Delroy", "Marcus", "Tyrone", "Leroy", "Clive", "Jermaine", "Kareem", "Dwayne", "Andre"),
        ("Campbell", "Brown", "Francis", "Grant", "Thomas", "Richards", "Edwards", "Reid", "Henry", "Bailey",
         "Gordon", "Morgan"),
    ),
    Community(
        "arab", "Other",
        ("Fatima", "Layla", "Noor", "Huda", "Rania", "Samira", "Yasmin", "Dina", "Salma", "Aisha"),
        ("Ahmed", "Omar", "Khalid", "Yousef", "Hussein", "Karim", "Mahmoud", "Tariq", "Samir", "Ibrahim"),
        ("Al-Hassan", "Haddad", "Khalil", "Nasser", "Saleh", "Mansour", "Hamdan", "Abboud", "Aziz", "Darwish"),
    ),
)

# Mixed-heritage residents draw a first name from one community and a surname from another.
MIXED_PAIRS = (("english", "caribbean"), ("english", "nigerian_ghanaian"), ("english", "indian"),
               ("irish", "caribbean"), ("english", "chinese_vietnamese"), ("portuguese_brazilian", "english"))

# Census ethnic group → communities a resident of that group is drawn from (weights).
GROUP_COMMUNITIES: dict[str, tuple[tuple[str, float], ...]] = {
    "White": (("english", 0.62), ("irish", 0.06), ("polish", 0.1), ("romanian_lithuanian", 0.1),
              ("turkish_kurdish", 0.12)),
    "Asian": (("bangladeshi", 0.3), ("pakistani", 0.2), ("indian", 0.3), ("tamil_srilankan", 0.08),
              ("chinese_vietnamese", 0.12)),
    "Black": (("nigerian_ghanaian", 0.45), ("somali_eritrean", 0.2), ("caribbean", 0.35)),
    "Other": (("arab", 0.45), ("portuguese_brazilian", 0.45), ("turkish_kurdish", 0.1)),
}

# Equivalent first names: the first is the group's key. Nicknames and transliterations both live here.
NAME_GROUPS: tuple[tuple[str, ...], ...] = (
    ("William", "Bill", "Will", "Billy", "Liam"),
    ("Robert", "Bob", "Rob", "Bobby", "Robbie"),
    ("James", "Jim", "Jimmy", "Jamie"),
    ("Michael", "Mike", "Mick", "Mickey"),
    ("Richard", "Rick", "Rich", "Dick"),
    ("Thomas", "Tom", "Tommy"),
    ("Edward", "Ed", "Eddie", "Ted"),
    ("Christopher", "Chris", "Krzysztof"),
    ("Daniel", "Dan", "Danny"),
    ("Joseph", "Joe", "Joey"),
    ("Samuel", "Sam", "Sammy"),
    ("Matthew", "Matt"),
    ("Anthony", "Tony"),
    ("Andrew", "Andy", "Drew"),
    ("David", "Dave", "Davey", "Dawit"),
    ("Stephen", "Steve", "Steven"),
    ("Jonathan", "Jon", "Johnny"),
    ("Benjamin", "Ben", "Benny"),
    ("Oliver", "Ollie"),
    ("Harry", "Henry", "Hal"),
    ("Frederick", "Fred", "Freddie"),
    ("Nicholas", "Nick", "Nicky"),
    ("Timothy", "Tim"),
    ("Alexander", "Alex", "Aleksander"),
    ("Charlie", "Charles"),
    ("Margaret", "Maggie", "Peggy", "Meg"),
    ("Elizabeth", "Liz", "Beth", "Lizzie", "Betty"),
    ("Katherine", "Kate", "Kathy", "Catherine", "Katie"),
    ("Jennifer", "Jen", "Jenny"),
    ("Rebecca", "Becky", "Becca"),
    ("Victoria", "Vicky", "Tori"),
    ("Patricia", "Pat", "Patty", "Trish"),
    ("Susan", "Sue", "Suzy"),
    ("Samantha", "Sam", "Sammy"),
    ("Deborah", "Debbie", "Debra"),
    ("Jacqueline", "Jackie"),
    ("Christine", "Chris", "Chrissie"),
    ("Abigail", "Abby"),
    ("Charlotte", "Lottie"),
    ("Amelia", "Millie"),
    ("Olivia", "Liv"),
    ("Jessica", "Jess"),
    ("Eleanor", "Ellie"),
    ("Katarzyna", "Kasia"),
    ("Malgorzata", "Gosia"),
    ("Aleksandra", "Ola", "Alexandra"),
    ("Magdalena", "Magda"),
    ("Agnieszka", "Aga"),
    ("Pawel", "Paul"),
    ("Piotr", "Peter"),
    ("Jakub", "Kuba", "Jacob"),
    ("Mohammed", "Muhammad", "Mohamed", "Mohammad", "Muhammed", "Mohd", "Mo"),
    ("Ahmed", "Ahmad", "Ahmet"),
    ("Yusuf", "Yousef", "Yousuf", "Joseph"),
    ("Hussein", "Hussain", "Husain", "Huseyin"),
    ("Ibrahim", "Ebrahim"),
    ("Abdirahman", "Abdulrahman", "Abdul Rahman"),
    ("Abdullahi", "Abdullah", "Abdi"),
    ("Fatima", "Fatma", "Fatimah"),
    ("Aisha", "Ayesha", "Aysha", "Ayse"),
    ("Omar", "Umar"),
    ("Mahmoud", "Mahmood", "Mehmood"),
    ("Mehmet", "Mehmed"),
    ("Zainab", "Zeynep", "Zaynab"),
    ("Maryam", "Mariam"),
    ("Yasmin", "Yasmine", "Jasmine"),
    ("Layla", "Leila", "Laila"),
    ("Noor", "Nur"),
    ("Huda", "Hoda"),
    ("Sahra", "Sara", "Sarah", "Zahra"),
    ("Oluwaseun", "Seun"),
    ("Oluwatobi", "Tobi"),
    ("Oluwadamilare", "Dami"),
    ("Babatunde", "Tunde"),
    ("Abimbola", "Bimbo"),
    ("Funmilayo", "Funmi"),
    ("Folake", "Fola"),
    ("Temitope", "Tope"),
    ("Chukwuemeka", "Emeka"),
    ("Oluwafemi", "Femi"),
    ("Ikechukwu", "Ike"),
    ("Adaeze", "Ada"),
    ("Siobhan", "Shivaun", "Chevonne"),
    ("Sean", "Shaun", "Shawn"),
    ("Padraig", "Patrick", "Paddy", "Pat"),
    ("Roisin", "Rosheen"),
    ("Niamh", "Neve"),
    ("Ciaran", "Kieran"),
    ("Joao", "John", "Jon"),
    ("Tiago", "Thiago"),
    ("Ines", "Inez"),
    ("Tharshan", "Tharsan"),
    ("Sivakumar", "Siva"),
    ("Rajesh", "Raj"),
    ("Krishna", "Krish"),
    ("Mizanur", "Mizan"),
    ("Habibur", "Habib"),
    ("Nazrul", "Nazrool"),
    ("Minh", "Min"),
    ("Wei", "Way"),
    ("Jermaine", "Germaine"),
    ("Tyrone", "Ty"),
    ("Andre", "Andrei", "Andrew"),
    ("Mihai", "Michael"),
    ("Ionut", "John"),
)

# Surname spellings that records disagree on (transliterations, anglicised forms).
SURNAME_GROUPS: tuple[tuple[str, ...], ...] = (
    ("Chowdhury", "Choudhury", "Chaudhry", "Chaudhary", "Choudhry"),
    ("Hussain", "Hussein", "Husain", "Hossain"),
    ("Mohamed", "Mohammed", "Muhammad"),
    ("Ahmed", "Ahmad"),
    ("Miah", "Mia", "Meah"),
    ("Uddin", "Udin", "Uddeen"),
    ("Rahman", "Rehman"),
    ("Hoque", "Haque", "Huq"),
    ("Begum", "Begom"),
    ("Khatun", "Khatoon"),
    ("Yilmaz", "Yılmaz"),
    ("Celik", "Çelik"),
    ("Ozturk", "Öztürk"),
    ("Wisniewski", "Wiśniewski"),
    ("Wojcik", "Wójcik"),
    ("Dabrowski", "Dąbrowski"),
    ("Nguyen", "Nguyễn", "Nguyen Thi"),
    ("Tran", "Trần"),
    ("Wong", "Huang"),
    ("Chan", "Chen"),
    ("O'Sullivan", "OSullivan", "O Sullivan", "Sullivan"),
    ("O'Brien", "OBrien", "O Brien"),
    ("O'Connor", "OConnor", "O Connor"),
    ("Al-Hassan", "Al Hassan", "Alhassan", "Hassan"),
    ("Abdi", "Abdie"),
    ("Warsame", "Warsama"),
    ("Okonkwo", "Okonkow"),
    ("Adeyemi", "Adeyemy"),
    ("Owusu", "Owusu-Ansah"),
)


# letters that NFKD does not split into a base letter and an accent
_NOT_DECOMPOSED = str.maketrans({"đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ß": "ss", "æ": "ae", "Æ": "ae",
                                 "œ": "oe", "Œ": "oe", "þ": "th", "ð": "d"})


def fold(name: str) -> str:
    """Lower case, accents removed, only letters kept: ``"O'Brien"`` → ``"obrien"``, ``"Çelik"`` → ``"celik"``."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_only = ascii_only.replace("ı", "i").replace("ł", "l").replace("Ł", "l")
    ascii_only = ascii_only.translate(_NOT_DECOMPOSED)
    return re.sub(r"[^a-z]", "", ascii_only.lower())


@lru_cache(maxsize=1)
def _first_name_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for group in NAME_GROUPS:
        key = fold(group[0])
        for variant in group:
            keys.setdefault(fold(variant), key)
    return keys


def first_name_key(name: str | None) -> str | None:
    """The name group a first name belongs to (its folded canonical form), or the folded name itself."""
    if not name:
        return None
    keys = _first_name_keys()
    folded = fold(name)
    if folded not in keys and " " in name.strip():
        folded = fold(name.split()[0])  # "Mohammed Abdul" → the group of "Mohammed"
    if not folded:
        return None
    return keys.get(folded, folded)


@lru_cache(maxsize=1)
def variants_of_first_name() -> dict[str, tuple[str, ...]]:
    """Each first name → the other names in its group (for the synthetic population's errors)."""
    out: dict[str, list[str]] = {}
    for group in NAME_GROUPS:
        for name in group:
            out.setdefault(name, []).extend(v for v in group if v != name)
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}


@lru_cache(maxsize=1)
def variants_of_surname() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for group in SURNAME_GROUPS:
        for name in group:
            out.setdefault(name, []).extend(v for v in group if v != name)
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}


def community(key: str) -> Community:
    for c in COMMUNITIES:
        if c.key == key:
            return c
    raise KeyError(key)
