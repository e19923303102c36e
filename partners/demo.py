"""Demo data for the partners app, loaded by ``manage.py seed_demo``.

Task-force staff, some forty non-state partners, ITU memberships, contacts at
Permanent Missions and partner organisations, events, two years of
engagements and their follow-ups. Everything is fictitious (invented people
and organisations, ``.example`` addresses) except the Member States, whose
government partners come from ``seed_reference``.

The data is first generated in memory from the random generator and ``today``
alone, then written by natural key: user name, partner code, contact e-mail,
(contact, partner, role) for affiliations, (partner, type, sector) for
memberships, (name, start date) for events and (subject, date) for
engagements. A second run with the same seed and date creates nothing, and
rows an administrator has edited are left alone. The engagement history is
written once: on a later day the existing history is kept rather than a
second one, shifted by the date, added beside it.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils.text import slugify

from crm.lib.names import strip_accents
from crm.models import Country
from crm.roles import TASK_FORCE, roles_setup
from partners.models import (
    Affiliation,
    Contact,
    Engagement,
    Event,
    FollowUp,
    Membership,
    Partner,
    Tag,
    UnitValue,
    format_class,
)

Role = Affiliation.Role
Category = Partner.Category
MType = Membership.Type
Sector = Membership.Sector

HISTORY_DAYS = 730
ENGAGEMENT_COUNT = 360  # plus briefings and meetings at events: ~400 in all

# --- Staff -------------------------------------------------------------------

# username, first name, last name, ITU regions they follow
STAFF = [
    ("amina.diallo", "Amina", "Diallo", ("AFR",)),
    ("lukas.meier", "Lukas", "Meier", ("EUR",)),
    ("sofia.martinez", "Sofía", "Martínez", ("AMS",)),
    ("karim.haddad", "Karim", "Haddad", ("ARB",)),
    ("chen.wei", "Wei", "Chen", ("ASP",)),
    ("olga.ivanova", "Olga", "Ivanova", ("CIS",)),
]

TAGS = [
    "AI for Good",
    "P2C",
    "Connect2Recover",
    "Giga",
    "WSIS",
    "Girls in ICT",
    "Cybersecurity",
    "Emergency telecommunications",
    "Smart Villages",
]

# --- Organisations -----------------------------------------------------------


@dataclass(frozen=True)
class Org:
    code: str
    name: str
    category: str
    country: str
    domain: str
    short: str = ""
    tags: tuple[str, ...] = ()
    parent: str = ""
    priority: int = Partner.Priority.MEDIUM
    name_fr: str = ""
    notes: str = ""


P = Category
# fmt: off
ORGS = [
    # Companies
    Org("DEMO-NORTHWIND", "Northwind Telecom", P.PRIVATE_SECTOR, "USA",
        "northwind-telecom.example", "Northwind", ("AI for Good", "P2C"),
        priority=Partner.Priority.HIGH,
        notes="Mobile operator in 23 countries; long-standing ITU-T contributor."),
    Org("DEMO-NORTHWIND-AFR", "Northwind Telecom Africa", P.PRIVATE_SECTOR, "KEN",
        "africa.northwind-telecom.example", "Northwind Africa", ("P2C", "Giga"),
        parent="DEMO-NORTHWIND"),
    Org("DEMO-CONTOSO", "Contoso Systems", P.PRIVATE_SECTOR, "USA",
        "contoso-systems.example", "Contoso", ("AI for Good", "Cybersecurity"),
        priority=Partner.Priority.HIGH),
    Org("DEMO-FABRIKAM", "Fabrikam Networks", P.PRIVATE_SECTOR, "SWE",
        "fabrikam-networks.example", "Fabrikam", ("Connect2Recover", "P2C")),
    Org("DEMO-MERIDIAN", "Meridian Satellite Services", P.PRIVATE_SECTOR, "LUX",
        "meridian-sat.example", "Meridian",
        ("Emergency telecommunications", "Giga")),
    Org("DEMO-HANBIT", "Hanbit Semiconductor", P.PRIVATE_SECTOR, "KOR",
        "hanbit-semi.example", "Hanbit", ("AI for Good",)),
    Org("DEMO-KIYOMIZU", "Kiyomizu Devices", P.PRIVATE_SECTOR, "JPN",
        "kiyomizu-devices.example", "Kiyomizu", ("AI for Good", "Girls in ICT")),
    Org("DEMO-ALTAMIRA", "Altamira Telecomunicaciones", P.PRIVATE_SECTOR, "MEX",
        "altamira-telecom.example", "Altamira", ("P2C",)),
    Org("DEMO-SAHEL", "Sahel Connect", P.PRIVATE_SECTOR, "SEN",
        "sahel-connect.example", "", ("P2C", "Smart Villages")),
    Org("DEMO-INDUS", "Indus Digital Infrastructure", P.PRIVATE_SECTOR, "IND",
        "indus-digital.example", "Indus Digital", ("P2C", "Giga")),
    Org("DEMO-BAOBAB", "Baobab Fintech", P.PRIVATE_SECTOR, "NGA",
        "baobab-fintech.example", "Baobab", ("Connect2Recover",)),
    Org("DEMO-AURORA", "Aurora Subsea Cables", P.PRIVATE_SECTOR, "NOR",
        "aurora-subsea.example", "Aurora", ("P2C",)),
    Org("DEMO-CEDAR", "Cedar Cloud Services", P.PRIVATE_SECTOR, "ARE",
        "cedar-cloud.example", "Cedar Cloud", ("AI for Good", "Cybersecurity")),
    # Universities
    Org("DEMO-LAKEVIEW", "Lakeview Institute of Technology", P.ACADEMIA, "CAN",
        "lakeview-tech.example", "LIT", ("AI for Good",)),
    Org("DEMO-EPL", "École polytechnique du Léman", P.ACADEMIA, "CHE",
        "epl-leman.example", "EPL", ("AI for Good", "WSIS"),
        name_fr="École polytechnique du Léman"),
    Org("DEMO-KUST", "Kilimanjaro University of Science and Technology",
        P.ACADEMIA, "TZA", "kust.example", "KUST",
        ("Girls in ICT", "Smart Villages")),
    Org("DEMO-UATD", "Universidad Austral de Tecnología Digital", P.ACADEMIA,
        "CHL", "uatd.example", "UATD", ("Girls in ICT",)),
    Org("DEMO-NANHAI", "Nanhai Institute of Communications", P.ACADEMIA, "CHN",
        "nanhai-ic.example", "NIC", ("AI for Good",)),
    Org("DEMO-RIVERSIDE", "Riverside School of Public Policy", P.ACADEMIA, "GBR",
        "riverside-policy.example", "", ("WSIS",)),
    Org("DEMO-IVIE", "Indus Valley Institute of Engineering", P.ACADEMIA, "PAK",
        "ivie.example", "IVIE", ("Giga",)),
    # Foundations
    Org("DEMO-CONTOSO-FDN", "Contoso Cloud Foundation", P.FOUNDATION, "USA",
        "foundation.contoso-systems.example", "", ("Giga", "Girls in ICT"),
        parent="DEMO-CONTOSO", priority=Partner.Priority.HIGH),
    Org("DEMO-LUMEN", "Lumen Foundation for Digital Inclusion", P.FOUNDATION,
        "NLD", "lumen-foundation.example", "Lumen", ("Connect2Recover", "P2C")),
    Org("DEMO-GREENFIELD", "Greenfield Philanthropies", P.FOUNDATION, "GBR",
        "greenfield-phil.example", "Greenfield", ("Giga",)),
    Org("DEMO-ALNOOR", "Al-Noor Foundation for Education", P.FOUNDATION, "QAT",
        "alnoor-edu.example", "Al-Noor", ("Giga", "Girls in ICT"),
        priority=Partner.Priority.HIGH),
    # Development banks
    Org("DEMO-ATDB", "Atlantic Development Bank", P.DEVELOPMENT_BANK, "CIV",
        "atdb.example", "AtDB", ("P2C", "Connect2Recover"),
        priority=Partner.Priority.HIGH, name_fr="Banque atlantique de développement"),
    Org("DEMO-ACIB", "Asian Connectivity Investment Bank", P.DEVELOPMENT_BANK,
        "SGP", "acib.example", "ACIB", ("P2C",)),
    Org("DEMO-EDIB", "European Digital Investment Bank", P.DEVELOPMENT_BANK, "LUX",
        "edib.example", "EDIB", ("P2C",)),
    Org("DEMO-IDDF", "Islamic Digital Development Fund", P.DEVELOPMENT_BANK, "SAU",
        "iddf.example", "IDDF", ("Smart Villages",)),
    # UN entities (fictitious)
    Org("DEMO-UNRCF", "United Nations Rural Connectivity Fund", P.UN_ENTITY, "USA",
        "unrcf.example", "UNRCF", ("Giga", "P2C"), priority=Partner.Priority.HIGH),
    Org("DEMO-UNRCF-ASP", "UNRCF Regional Office for Asia and the Pacific",
        P.UN_ENTITY, "THA", "asia.unrcf.example", "UNRCF ROAP",
        ("Giga",), parent="DEMO-UNRCF"),
    Org("DEMO-UNAEC", "UN Agency for Emergency Communications", P.UN_ENTITY, "ITA",
        "unaec.example", "UNAEC",
        ("Emergency telecommunications", "Connect2Recover")),
    Org("DEMO-UNETP", "UN Education Technology Programme", P.UN_ENTITY, "FRA",
        "unetp.example", "UNETP", ("Giga", "Girls in ICT"),
        name_fr="Programme des Nations Unies pour les technologies éducatives"),
    Org("DEMO-WDHI", "World Digital Health Initiative", P.UN_ENTITY, "CHE",
        "wdhi.example", "WDHI", ("AI for Good",)),
    # Intergovernmental organisations (fictitious)
    Org("DEMO-PITU", "Pacific Islands Telecommunications Union", P.IGO, "FJI",
        "pitu.example", "PITU", ("Smart Villages", "Emergency telecommunications")),
    Org("DEMO-ARIC", "African Regional ICT Commission", P.IGO, "ETH",
        "aric.example", "ARIC", ("P2C",),
        name_fr="Commission africaine régionale des TIC"),
    Org("DEMO-ADCC", "Arab Digital Cooperation Council", P.IGO, "EGY",
        "adcc.example", "ADCC", ("Cybersecurity",)),
    Org("DEMO-CSAN", "Caribbean Spectrum Authorities Network", P.IGO, "TTO",
        "csan.example", "CSAN", ("Emergency telecommunications",)),
    # Civil society
    Org("DEMO-CSA", "Connected Schools Alliance", P.CIVIL_SOCIETY, "KEN",
        "connected-schools.example", "CSA", ("Giga",)),
    Org("DEMO-CODEBRIDGES", "Code Bridges International", P.CIVIL_SOCIETY, "ZAF",
        "codebridges.example", "", ("Girls in ICT",)),
    Org("DEMO-GDRF", "Geneva Digital Rights Forum", P.CIVIL_SOCIETY, "CHE",
        "gdrf.example", "GDRF", ("WSIS",)),
    Org("DEMO-MESH", "Mesh for Villages", P.CIVIL_SOCIETY, "IND",
        "mesh-villages.example", "", ("Smart Villages",)),
    # Government agencies (the government itself is the GOV-<ISO3> partner)
    Org("DEMO-BDZ", "Bundesamt für digitale Zusammenarbeit", P.GOVERNMENT_AGENCY,
        "DEU", "bdz-bund.example", "BDZ", ("P2C",), parent="GOV-DEU",
        priority=Partner.Priority.HIGH,
        name_fr="Office fédéral de la coopération numérique"),
    Org("DEMO-KADC", "Korea Agency for Digital Cooperation",
        P.GOVERNMENT_AGENCY, "KOR", "kadc.example", "KADC", ("AI for Good",),
        parent="GOV-KOR"),
]
# fmt: on

# (type, sector, class, status); arrears come with the suspended ones.
ORG_MEMBERSHIPS: dict[str, list[tuple[str, str, str, str]]] = {
    "DEMO-NORTHWIND": [
        (MType.SECTOR_MEMBER, Sector.T, "2", "active"),
        (MType.SECTOR_MEMBER, Sector.R, "1", "active"),
        (MType.SECTOR_MEMBER, Sector.D, "1", "active"),
    ],
    "DEMO-NORTHWIND-AFR": [(MType.SECTOR_MEMBER, Sector.D, "0.0625", "active")],
    "DEMO-CONTOSO": [(MType.SECTOR_MEMBER, Sector.T, "1", "active")],
    "DEMO-FABRIKAM": [
        (MType.SECTOR_MEMBER, Sector.T, "3", "active"),
        (MType.SECTOR_MEMBER, Sector.R, "1", "active"),
    ],
    "DEMO-MERIDIAN": [(MType.SECTOR_MEMBER, Sector.R, "1", "suspended")],
    "DEMO-HANBIT": [(MType.SECTOR_MEMBER, Sector.T, "0.5", "active")],
    "DEMO-KIYOMIZU": [(MType.ASSOCIATE, Sector.T, "0.25", "active")],
    "DEMO-ALTAMIRA": [(MType.SECTOR_MEMBER, Sector.D, "0.25", "active")],
    "DEMO-SAHEL": [(MType.SECTOR_MEMBER, Sector.D, "0.0625", "active")],
    "DEMO-INDUS": [
        (MType.SECTOR_MEMBER, Sector.D, "0.5", "active"),
        (MType.ASSOCIATE, Sector.T, "0.25", "active"),
    ],
    "DEMO-BAOBAB": [(MType.ASSOCIATE, Sector.D, "0.03125", "suspended")],
    "DEMO-AURORA": [(MType.SECTOR_MEMBER, Sector.T, "0.5", "ended")],
    "DEMO-CEDAR": [(MType.SECTOR_MEMBER, Sector.T, "1", "active")],
    "DEMO-LAKEVIEW": [(MType.ACADEMIA, "", "0.0625", "active")],
    "DEMO-EPL": [(MType.ACADEMIA, "", "0.0625", "active")],
    "DEMO-KUST": [(MType.ACADEMIA, "", "0.03125", "active")],
    "DEMO-UATD": [(MType.ACADEMIA, "", "0.0625", "active")],
    "DEMO-NANHAI": [(MType.ACADEMIA, "", "0.03125", "active")],
    "DEMO-RIVERSIDE": [(MType.ACADEMIA, "", "0.0625", "active")],
    "DEMO-IVIE": [(MType.ACADEMIA, "", "0.03125", "suspended")],
}


@dataclass(frozen=True)
class Person:
    title: str
    first: str
    last: str
    position: str
    role: str
    latin: str = ""  # "First Last" in Latin script when the name is not
    languages: str = "English"


# Contacts at the organisations; the first of each is the primary contact.
# fmt: off
ORG_PEOPLE: dict[str, list[Person]] = {
    "DEMO-NORTHWIND": [
        Person("Ms", "Rebecca", "Hollander", "Chief Executive Officer", Role.HEAD),
        Person("Mr", "Daniel", "Okoye", "Director, Public Policy and Partnerships",
               Role.DIRECTOR),
        Person("Ms", "Priyanka", "Menon", "Standards Manager", Role.FOCAL_POINT),
    ],
    "DEMO-NORTHWIND-AFR": [
        Person("Mr", "Peter", "Njoroge", "Managing Director", Role.HEAD,
               languages="English, Swahili"),
        Person("Ms", "Faith", "Wambui", "Head of Sustainability", Role.FOCAL_POINT),
    ],
    "DEMO-CONTOSO": [
        Person("Mr", "Thomas", "Reinholt", "Vice-President, Government Affairs",
               Role.DIRECTOR),
        Person("Dr", "Naomi", "Castellanos", "Head of AI Research", Role.FOCAL_POINT,
               languages="English, Spanish"),
    ],
    "DEMO-FABRIKAM": [
        Person("Mr", "Björn", "Sandqvist", "Chief Executive Officer", Role.HEAD,
               languages="Swedish, English"),
        Person("Ms", "Elin", "Håkansson", "Standards and Regulatory Lead",
               Role.FOCAL_POINT, languages="Swedish, English"),
    ],
    "DEMO-MERIDIAN": [
        Person("Mr", "Luc", "Wagner", "Chief Commercial Officer", Role.DIRECTOR,
               languages="French, German, English"),
        Person("Ms", "Anne-Marie", "Feltgen", "Spectrum Affairs Manager",
               Role.FOCAL_POINT, languages="French, English"),
    ],
    "DEMO-HANBIT": [
        Person("Mr", "Seong-ho", "Park", "Chief Executive Officer", Role.HEAD,
               languages="Korean, English"),
        Person("Ms", "Ji-yeon", "Lee", "Standardization Manager", Role.FOCAL_POINT,
               languages="Korean, English"),
    ],
    "DEMO-KIYOMIZU": [
        Person("Mr", "Kenji", "Morimoto", "General Manager, Standardization",
               Role.FOCAL_POINT, languages="Japanese, English"),
    ],
    "DEMO-ALTAMIRA": [
        Person("Ms", "Ximena", "Ocampo", "Directora de Asuntos Regulatorios",
               Role.DIRECTOR, languages="Spanish, English"),
    ],
    "DEMO-SAHEL": [
        Person("Mr", "Ousmane", "Ndiaye", "Directeur général", Role.HEAD,
               languages="French, Wolof"),
        Person("Ms", "Awa", "Faye", "Responsable RSE", Role.FOCAL_POINT,
               languages="French, English"),
    ],
    "DEMO-INDUS": [
        Person("Mr", "Vikram", "Raghunathan", "Chief Executive Officer", Role.HEAD,
               languages="English, Hindi"),
        Person("Ms", "Kavya", "Nair", "Partnerships Lead", Role.FOCAL_POINT),
    ],
    "DEMO-BAOBAB": [
        Person("Ms", "Chiamaka", "Eze", "Founder and CEO", Role.HEAD),
    ],
    "DEMO-AURORA": [
        Person("Mr", "Eirik", "Solbakken", "Chief Executive Officer", Role.HEAD,
               languages="Norwegian, English"),
    ],
    "DEMO-CEDAR": [
        Person("Mr", "Rami", "Khalil", "General Manager", Role.HEAD,
               languages="Arabic, English"),
        Person("Ms", "Noor", "Al Hammadi", "Government Relations Manager",
               Role.FOCAL_POINT, languages="Arabic, English"),
    ],
    "DEMO-LAKEVIEW": [
        Person("Prof.", "Margaret", "Chen-Williams", "President", Role.HEAD),
        Person("Dr", "Étienne", "Gagnon", "Director, AI Lab", Role.FOCAL_POINT,
               languages="French, English"),
    ],
    "DEMO-EPL": [
        Person("Prof.", "Anne-Sophie", "Rochat",
               "Vice-présidente pour les relations internationales", Role.DIRECTOR,
               languages="French, English"),
        Person("Dr", "Matthias", "Zürcher", "Laboratoire des réseaux",
               Role.FOCAL_POINT, languages="German, French, English"),
    ],
    "DEMO-KUST": [
        Person("Prof.", "Halima", "Mwakyusa", "Vice-Chancellor", Role.HEAD,
               languages="English, Swahili"),
        Person("Dr", "Baraka", "Massawe", "Head, ICT4D Centre", Role.FOCAL_POINT,
               languages="English, Swahili"),
    ],
    "DEMO-UATD": [
        Person("Dr", "Constanza", "Fuentes", "Rectora", Role.HEAD,
               languages="Spanish, English"),
    ],
    "DEMO-NANHAI": [
        Person("Prof.", "", "张伟", "President", Role.HEAD, latin="Zhang Wei",
               languages="Chinese, English"),
        Person("Dr", "Yang", "Liu", "International Office", Role.FOCAL_POINT,
               languages="Chinese, English"),
    ],
    "DEMO-RIVERSIDE": [
        Person("Prof.", "Eleanor", "Whitcombe", "Dean", Role.HEAD),
    ],
    "DEMO-IVIE": [
        Person("Dr", "Ayesha", "Siddiqui", "Head, Telecommunication Engineering",
               Role.FOCAL_POINT, languages="Urdu, English"),
    ],
    "DEMO-CONTOSO-FDN": [
        Person("Ms", "Laura", "Bennett-Ruiz", "Executive Director", Role.HEAD),
        Person("Mr", "Samuel", "Adjei", "Programme Officer, Education",
               Role.FOCAL_POINT),
    ],
    "DEMO-LUMEN": [
        Person("Ms", "Femke", "Verhoeven", "Director", Role.HEAD,
               languages="Dutch, English, French"),
    ],
    "DEMO-GREENFIELD": [
        Person("Mr", "Oliver", "Ashworth", "Chief Executive", Role.HEAD),
        Person("Ms", "Harriet", "Cole", "Grants Manager", Role.FOCAL_POINT),
    ],
    "DEMO-ALNOOR": [
        Person("Dr", "عائشة", "الكواري", "Director General", Role.HEAD,
               latin="Aisha Al-Kuwari", languages="Arabic, English"),
        Person("Mr", "Yousef", "Al-Emadi", "Programmes Manager", Role.FOCAL_POINT,
               languages="Arabic, English"),
    ],
    "DEMO-ATDB": [
        Person("Mr", "Serge", "Kouamé", "Director, Infrastructure and ICT",
               Role.DIRECTOR, languages="French, English"),
        Person("Ms", "Mariama", "Bamba", "Senior Investment Officer",
               Role.FOCAL_POINT, languages="French, English"),
    ],
    "DEMO-ACIB": [
        Person("Ms", "Hui Min", "Tan", "Vice-President, Operations", Role.DIRECTOR,
               languages="English, Chinese, Malay"),
    ],
    "DEMO-EDIB": [
        Person("Mr", "Paolo", "Bertolini", "Head of Digital Infrastructure Lending",
               Role.DIRECTOR, languages="Italian, English, French"),
    ],
    "DEMO-IDDF": [
        Person("Mr", "Abdulrahman", "Al-Shehri", "Director of Operations",
               Role.DIRECTOR, languages="Arabic, English"),
    ],
    "DEMO-UNRCF": [
        Person("Ms", "Caroline", "Mbatha", "Executive Coordinator", Role.HEAD),
        Person("Mr", "Javier", "Olmedo", "Partnerships Officer", Role.FOCAL_POINT,
               languages="Spanish, English"),
    ],
    "DEMO-UNRCF-ASP": [
        Person("Ms", "Pimchanok", "Srisawat", "Regional Coordinator", Role.HEAD,
               languages="Thai, English"),
    ],
    "DEMO-UNAEC": [
        Person("Mr", "Marco", "Ferri", "Chief, Emergency Preparedness",
               Role.DIRECTOR, languages="Italian, English"),
    ],
    "DEMO-UNETP": [
        Person("Ms", "Claire", "Dumont", "Head of Programme", Role.HEAD,
               languages="French, English"),
    ],
    "DEMO-WDHI": [
        Person("Dr", "Sebastián", "Ortega", "Director", Role.HEAD,
               languages="Spanish, English, French"),
    ],
    "DEMO-PITU": [
        Person("Mr", "Semisi", "Taumoepeau", "Secretary-General", Role.HEAD,
               languages="English, Tongan"),
    ],
    "DEMO-ARIC": [
        Person("Ms", "Selamawit", "Tesfaye", "Executive Secretary", Role.HEAD,
               languages="English, Amharic, French"),
    ],
    "DEMO-ADCC": [
        Person("Dr", "Hisham", "Abdelaziz", "Secretary-General", Role.HEAD,
               languages="Arabic, English, French"),
    ],
    "DEMO-CSAN": [
        Person("Ms", "Nicole", "Baptiste", "Network Coordinator", Role.HEAD),
    ],
    "DEMO-CSA": [
        Person("Mr", "David", "Otieno", "Director", Role.HEAD),
    ],
    "DEMO-CODEBRIDGES": [
        Person("Ms", "Lerato", "Mokoena", "Founder", Role.HEAD),
    ],
    "DEMO-GDRF": [
        Person("Ms", "Camille", "Perret", "Coordinator", Role.HEAD,
               languages="French, English"),
    ],
    "DEMO-MESH": [
        Person("Mr", "Arvind", "Kulkarni", "Director", Role.HEAD,
               languages="English, Marathi, Hindi"),
    ],
    "DEMO-BDZ": [
        Person("Dr", "Katrin", "Vogelsang",
               "Referatsleiterin Internationale Zusammenarbeit", Role.DIRECTOR,
               languages="German, English, French"),
    ],
    "DEMO-KADC": [
        Person("Mr", "Dong-hyun", "Choi", "Director, International Cooperation",
               Role.DIRECTOR, languages="Korean, English"),
    ],
}
# fmt: on

# --- Permanent Missions --------------------------------------------------------

# fmt: off
# Missions that always get an ambassador in the demo; more are drawn at random.
KEY_MISSIONS = [
    "CHE", "USA", "DEU", "JPN", "CHN", "GBR", "FRA", "SAU", "ARE", "KOR", "IND",
    "BRA", "RUS", "KAZ", "EGY", "QAT", "SWE", "NOR", "CAN", "AUS", "ESP", "ITA",
    "NLD", "TUR", "POL", "KEN", "NGA", "RWA", "SEN", "ZAF", "MEX", "ARG", "IDN",
    "MYS"
]
# fmt: on
MISSION_COUNT = 60

# Ambassadors written out, for names in their own scripts and spellings.
NAMED_AMBASSADORS: dict[str, tuple[str, str, str, str]] = {
    # iso3: (first, last, gender, Latin form when the name is in another script)
    "CHN": ("", "陈晓东", "M", "Chen Xiaodong"),
    "SAU": ("هند", "الزهراني", "F", "Hind Al-Zahrani"),
    "EGY": ("ليلى", "منصور", "F", "Laila Mansour"),
    "RUS": ("Ирина", "Соколова", "F", "Irina Sokolova"),
    "KAZ": ("Айгерим", "Нурланова", "F", "Aigerim Nurlanova"),
    "QAT": ("Khalid", "Al-Marri", "M", ""),
    "ARE": ("Mariam", "Al Suwaidi", "F", ""),
    "FRA": ("Élise", "Lefèvre", "F", ""),
    "DEU": ("Jürgen", "Häfner", "M", ""),
    "CHE": ("Béatrice", "Aebischer", "F", ""),
    "ESP": ("Íñigo", "Martínez de la Peña", "M", ""),
    "POL": ("Małgorzata", "Wiśniewska", "F", ""),
    "TUR": ("Ayşe", "Yıldırım", "F", ""),
    "SWE": ("Åsa", "Lindqvist", "F", ""),
    "NOR": ("Sigrid", "Kjærland", "F", ""),
    "BRA": ("João", "Conceição Albuquerque", "M", ""),
    "JPN": ("Yuko", "Nakamura", "F", ""),
    "KOR": ("Ji-won", "Kim", "F", ""),
    "USA": ("Michael", "Brennan", "M", ""),
    "GBR": ("Catherine", "Mortimer", "F", ""),
    "IND": ("Arjun", "Venkataraman", "M", ""),
}

# First names (name, gender) and last names by language area.
# fmt: off
NAMES: dict[str, tuple[list[tuple[str, str]], list[str]]] = {
    "en": (
        [("Michael", "M"), ("Daniel", "M"), ("Andrew", "M"), ("Marcus", "M"),
         ("Winston", "M"), ("Sarah", "F"), ("Rebecca", "F"), ("Olivia", "F"),
         ("Kerry-Ann", "F"), ("Alicia", "F")],
        ["Thompson", "Campbell", "O'Connor", "Reid", "Clarke", "Whitfield",
         "Henry", "Douglas", "Gordon", "Fraser"],
    ),
    "es": (
        [("Andrés", "M"), ("Luis", "M"), ("Carlos", "M"), ("Diego", "M"),
         ("Javier", "M"), ("María José", "F"), ("Camila", "F"), ("Ana Lucía", "F"),
         ("Valentina", "F"), ("Gabriela", "F")],
        ["Gutiérrez", "Rodríguez", "Ramírez", "Fernández", "Peña", "Castillo",
         "Moreno", "Herrera", "Vargas", "Álvarez", "Quispe", "Echeverría"],
    ),
    "pt": (
        [("Pedro", "M"), ("Rafael", "M"), ("Tiago", "M"), ("Beatriz", "F"),
         ("Fernanda", "F"), ("Inês", "F"), ("Luísa", "F")],
        ["Mendes", "Teixeira", "Fonseca", "Nhantumbo", "Carvalho", "Lopes",
         "Sebastião"],
    ),
    "fr": (
        [("Amadou", "M"), ("Moussa", "M"), ("Ibrahima", "M"), ("Serge", "M"),
         ("Koffi", "M"), ("Aminata", "F"), ("Fatou", "F"), ("Aïssatou", "F"),
         ("Mariame", "F"), ("Clarisse", "F")],
        ["Ouédraogo", "Traoré", "Diop", "Sow", "Kaboré", "Coulibaly", "Kouassi",
         "Mbemba", "Habimana", "Rakotomalala", "Ndayishimiye", "Zongo"],
    ),
    "en_africa": (
        [("Kwame", "M"), ("Joseph", "M"), ("Samuel", "M"), ("Tendai", "M"),
         ("Chukwuemeka", "M"), ("Thabo", "M"), ("Ngozi", "F"), ("Thandiwe", "F"),
         ("Wanjiru", "F"), ("Grace", "F"), ("Esther", "F"), ("Nomvula", "F")],
        ["Mensah", "Okonkwo", "Dlamini", "Kamau", "Banda", "Mwangi", "Osei",
         "Ndlovu", "Achieng", "Moyo", "Adeyemi", "Phiri", "Owusu"],
    ),
    "ar": (
        [("Khalid", "M"), ("Omar", "M"), ("Youssef", "M"), ("Hassan", "M"),
         ("Sami", "M"), ("Nabil", "M"), ("Fahad", "M"), ("Leila", "F"),
         ("Nadia", "F"), ("Rania", "F"), ("Salma", "F"), ("Huda", "F"),
         ("Yasmine", "F"), ("Noura", "F")],
        ["Al-Mansouri", "Haddad", "Benali", "El Amrani", "Saleh", "Khoury",
         "Al-Hashimi", "Farouk", "Al-Harbi", "Chaouch", "Ibrahim", "Jaber",
         "Toumi", "Kanaan", "Al-Amin"],
    ),
    "south_asia": (
        [("Arjun", "M"), ("Farhan", "M"), ("Bilal", "M"), ("Rohan", "M"),
         ("Tenzin", "M"), ("Ananya", "F"), ("Priya", "F"), ("Malalai", "F"),
         ("Nasrin", "F"), ("Sadia", "F")],
        ["Sharma", "Qureshi", "Rahman", "Karki", "Thapa", "Wijesinghe", "Ahmadi",
         "Hossain", "Iyer", "Perera"],
    ),
    "se_asia": (
        [("Minh", "M"), ("Rizal", "M"), ("Somchai", "M"), ("Ramon", "M"),
         ("Dara", "M"), ("Lan", "F"), ("Siti", "F"), ("Nurul", "F"),
         ("Maricel", "F"), ("Thida", "F")],
        ["Nguyen", "Rahmawati", "Srisuk", "Tan", "Bautista", "Sok", "Lim",
         "Santos", "Wong", "Phommachanh"],
    ),
    "zh": (
        [("Wei", "M"), ("Hao", "M"), ("Lei", "M"), ("Jing", "F"),
         ("Xiaoling", "F"), ("Yan", "F")],
        ["Wang", "Li", "Zhang", "Liu", "Zhao", "Huang", "Zhou"],
    ),
    "ja": (
        [("Takeshi", "M"), ("Kenta", "M"), ("Daisuke", "M"), ("Haruka", "F"),
         ("Aiko", "F"), ("Mai", "F")],
        ["Sato", "Suzuki", "Takahashi", "Watanabe", "Ito", "Yamamoto",
         "Kobayashi"],
    ),
    "ko": (
        [("Min-jun", "M"), ("Ji-ho", "M"), ("Dong-wook", "M"), ("Seo-yeon", "F"),
         ("Hye-jin", "F"), ("Eun-ji", "F")],
        ["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Yoon"],
    ),
    "pacific": (
        [("Tevita", "M"), ("Iosefa", "M"), ("Kalani", "M"), ("Mele", "F"),
         ("Losana", "F"), ("Tala", "F")],
        ["Fifita", "Taufa", "Leota", "Vaai", "Tabuai", "Fonua", "Lesa", "Tebano"],
    ),
    "cis": (
        [("Arman", "M"), ("Timur", "M"), ("Rustam", "M"), ("Bakhtiyar", "M"),
         ("Farid", "M"), ("Nodira", "F"), ("Gulnara", "F"), ("Madina", "F"),
         ("Nargiza", "F"), ("Anahit", "F")],
        ["Karimov", "Abdullaev", "Nurlanov", "Aliyev", "Usmonov", "Mammadov",
         "Ismoilov", "Sargsyan", "Petrosyan"],
    ),
    "de": (
        [("Lukas", "M"), ("Matthias", "M"), ("Stefan", "M"), ("Jürgen", "M"),
         ("Anna", "F"), ("Katharina", "F"), ("Ursula", "F"), ("Jana", "F")],
        ["Müller", "Schäfer", "Huber", "Gruber", "Wagner", "Brunner", "Keller",
         "Zimmermann"],
    ),
    "fr_eur": (
        [("François", "M"), ("Olivier", "M"), ("Thierry", "M"), ("Luc", "M"),
         ("Élodie", "F"), ("Sophie", "F"), ("Hélène", "F"), ("Camille", "F")],
        ["Moreau", "Dubois", "Janssens", "Lefèvre", "Peeters", "Girard",
         "Weber", "Mercier"],
    ),
    "nordic": (
        [("Søren", "M"), ("Erik", "M"), ("Mikko", "M"), ("Jón", "M"),
         ("Ingrid", "F"), ("Annika", "F"), ("Liisa", "F"), ("Freja", "F")],
        ["Kjær", "Virtanen", "Lindgren", "Hansen", "Nieminen", "Berg",
         "Jónsdóttir", "Andersen"],
    ),
    "it": (
        [("Matteo", "M"), ("Giorgio", "M"), ("Lorenzo", "M"), ("Chiara", "F"),
         ("Francesca", "F"), ("Giulia", "F")],
        ["Rossi", "Bianchi", "Romano", "Colombo", "Ricci", "Greco"],
    ),
    "gr": (
        [("Giorgos", "M"), ("Nikos", "M"), ("Andreas", "M"), ("Eleni", "F"),
         ("Maria", "F"), ("Christina", "F")],
        ["Papadopoulos", "Georgiou", "Konstantinou", "Nikolaou", "Charalambous",
         "Ioannou"],
    ),
    "nl": (
        [("Pieter", "M"), ("Joris", "M"), ("Bram", "M"), ("Femke", "F"),
         ("Anouk", "F"), ("Sanne", "F")],
        ["De Vries", "Jansen", "Bakker", "Visser", "Smit", "Van Dijk"],
    ),
    "eur": (
        [("Miloš", "M"), ("Zoltán", "M"), ("Tomasz", "M"), ("Andrei", "M"),
         ("Luka", "M"), ("Marek", "M"), ("Ioana", "F"), ("Zsófia", "F"),
         ("Maja", "F"), ("Petra", "F"), ("Katarina", "F"), ("Agnieszka", "F")],
        ["Petrović", "Kovács", "Popescu", "Novak", "Horvat", "Kowalczyk",
         "Dimitrov", "Jovanović", "Szabó", "Marković", "Kazlauskas", "Ozols"],
    ),
}
# fmt: on

# fmt: off
FRENCH_SPEAKING = {
    "BEN", "BFA", "BDI", "CMR", "CAF", "TCD", "COM", "COG", "COD", "CIV", "DJI",
    "GAB", "GIN", "HTI", "MDG", "MLI", "NER", "RWA", "SEN", "TGO"
}
PORTUGUESE_SPEAKING = {"AGO", "BRA", "CPV", "GNB", "MOZ", "PRT", "STP", "TLS"}
ENGLISH_SPEAKING = {
    "ATG", "AUS", "BHS", "BRB", "BLZ", "CAN", "DMA", "GBR", "GRD", "GUY", "IRL",
    "JAM", "KNA", "LCA", "MLT", "NZL", "TTO", "USA", "VCT"
}
SPANISH_SPEAKING_EUR = {"ESP", "AND"}
COUNTRY_NAME_AREAS = {
    "CHN": "zh", "JPN": "ja", "KOR": "ko", "PRK": "ko", "SGP": "se_asia",
    "DEU": "de", "AUT": "de", "LIE": "de", "CHE": "de",
    "FRA": "fr_eur", "BEL": "fr_eur", "LUX": "fr_eur", "MCO": "fr_eur",
    "DNK": "nordic", "SWE": "nordic", "NOR": "nordic", "FIN": "nordic",
    "ISL": "nordic", "ITA": "it", "SMR": "it", "VAT": "it", "GRC": "gr",
    "CYP": "gr", "NLD": "nl",
}
# fmt: on
PACIFIC_SUBREGIONS = {"Melanesia", "Micronesia", "Polynesia"}

# Classes of contribution of the largest contributors in the demo.
LARGE_CONTRIBUTORS = {
    "USA": "30",
    "JPN": "30",
    "DEU": "25",
    "FRA": "25",
    "CHN": "20",
    "GBR": "18",
    "RUS": "15",
    "SAU": "15",
    "KOR": "13",
    "ITA": "13",
    "CHE": "10",
    "CAN": "10",
    "IND": "10",
    "ARE": "10",
    "AUS": "8",
    "ESP": "8",
    "NLD": "8",
    "BRA": "5",
    "SWE": "5",
    "NOR": "5",
    "QAT": "5",
    "TUR": "5",
    "KWT": "5",
}
# fmt: off
FOUNDING_MEMBERS = {
    "AUT", "BEL", "DNK", "FRA", "DEU", "GRC", "ITA", "NLD", "NOR", "PRT", "RUS",
    "ESP", "SWE", "CHE", "TUR"
}
# fmt: on
ITU_FOUNDED = dt.date(1865, 5, 17)
JOINED = {"PLW": dt.date(2024, 9, 19), "SSD": dt.date(2011, 7, 14)}

# --- Engagement notes ----------------------------------------------------------

THEMES = [
    "rural broadband",
    "digital skills for girls and young women",
    "school connectivity",
    "cybersecurity capacity",
    "early warning systems",
    "AI for health",
    "spectrum management",
    "e-waste and the circular economy",
    "digital public infrastructure",
    "satellite connectivity for remote islands",
]
IN_KIND = [
    "50 satellite terminals for emergency response",
    "cloud credits for the AI for Good Innovation Factory",
    "two engineers for six months",
    "training seats for 200 regulators",
    "test equipment for the national spectrum lab",
]
BRIEFING_TOPICS = [
    "the resource mobilization strategy and Decision 5 targets",
    "the Partner2Connect Digital Coalition",
    "preparations for the next AI for Good Global Summit",
    "voluntary contributions and the ICT Development Fund",
    "Giga and school connectivity financing",
    "the WSIS Forum programme",
    "emergency telecommunications and Early Warnings for All",
    "the draft budget and extra-budgetary resources",
]


@dataclass(frozen=True)
class Topic:
    key: str
    audiences: frozenset[str]
    subject: str
    summaries: tuple[str, ...]
    outcomes: tuple[str, ...]
    followups: tuple[str, ...]
    weight: int = 2
    confidential: float = 0.0


def _topic(key, audiences, subject, summaries, outcomes, followups, **kwargs):
    # "gov" is every government, split into "donor" and "beneficiary";
    # "funder" is a foundation or a development bank.
    audiences = audiences.replace("gov", "donor beneficiary")
    audiences = audiences.replace("funder", "foundation bank")
    return Topic(
        key,
        frozenset(audiences.split()),
        subject,
        tuple(summaries),
        tuple(outcomes),
        tuple(followups),
        **kwargs,
    )


TOPICS = [
    _topic(
        "courtesy",
        "gov",
        "Courtesy call",
        [
            "{contact} received {staff} for an introductory meeting. Overview of "
            "the resource mobilization strategy under PP-22 Decision 5 and of the "
            "flagship initiatives (Partner2Connect, Giga, AI for Good). The "
            "Ambassador highlighted {country_s} priorities in {theme} and asked "
            "how the mission can follow the Council working groups.",
            "First meeting with the team at the mission. Presented the Sector "
            "activities most relevant to {country} and the calendar of the coming "
            "months. The mission is reviewing its multilateral funding envelope "
            "for {next_year} and would like a short list of projects ready for "
            "co-financing.",
        ],
        [
            "Good first contact; the mission asked for a one-page overview of "
            "projects in {theme}.",
            "Mission to share the capital's priorities before the end of the month.",
        ],
        [
            "Send the one-page overview of projects in {theme} to the mission",
            "Add {contact} to the ambassadors' briefing invitation list",
            "Prepare a country profile of {country} for the next meeting",
        ],
        weight=3,
    ),
    _topic(
        "dues",
        "gov",
        "Contributory units {year}: payment schedule",
        [
            "Reviewed {country_s} assessed contribution for {year} ({units}). "
            "{contact} confirmed that the ministry of finance has approved the "
            "budget line; the transfer is planned before 31 March. The mission "
            "asked for an updated statement of account.",
            "Discussion of the {year} invoice. The mission had not received the "
            "invoice sent in September; it was re-sent the same day. Payment is "
            "expected in two instalments, the first in the first quarter.",
        ],
        [
            "Payment expected in the first quarter of {year}.",
            "Statement of account re-sent; the mission will confirm the transfer date.",
        ],
        [
            "Send the updated statement of account to the mission",
            "Check with Finance that the {year} payment from {country} arrived",
        ],
        weight=3,
    ),
    _topic(
        "arrears",
        "beneficiary",
        "Arrears and payment plan",
        [
            "Confidential discussion of the arrears outstanding since {prev_year}. "
            "The mission proposed settling them over three years and asked about "
            "the consequences for voting rights at the next conference. Explained "
            "the provisions of the Convention and the role of the Council in "
            "approving payment plans.",
        ],
        [
            "The mission will submit a written proposal for a payment plan.",
            "Finance to prepare a draft schedule for discussion with the capital.",
        ],
        [
            "Ask Finance for a draft payment schedule for {country}",
            "Draft the reply to the mission's payment plan proposal",
        ],
        weight=1,
        confidential=0.7,
    ),
    _topic(
        "jpo",
        "donor",
        "Junior Professional Officer sponsorship",
        [
            "The mission asked about sponsoring a Junior Professional Officer in "
            "the Telecommunication Development Bureau. Explained the cost (about "
            "USD 180,000 a year including overheads), the profiles needed in "
            "{theme} and the recruitment calendar.",
        ],
        [
            "The capital will decide on funding for one JPO post by {month}.",
            "Interested; the mission wants draft terms of reference.",
        ],
        [
            "Send draft terms of reference for a JPO in {theme}",
            "Ask HR for the JPO cost estimate in {currency}",
        ],
        weight=1,
    ),
    _topic(
        "voluntary",
        "donor agency",
        "Voluntary contribution: {theme}",
        [
            "Discussed a voluntary contribution of {amount} for {theme} in "
            "{project_country}. The development cooperation agency prefers soft "
            "earmarking at programme level and a two-year agreement with annual "
            "narrative and financial reports.",
            "Follow-up on the concept note sent last month. The capital found the "
            "budget reasonable but asked to strengthen the monitoring framework "
            "and to show co-financing from the private sector.",
            "{contact} confirmed that {amount} is foreseen for {theme} in the "
            "{next_year} budget, subject to parliamentary approval. Visibility "
            "requirements: logo on project material and a mention in the annual "
            "report.",
        ],
        [
            "Concept note requested by {month}.",
            "Revised budget to be submitted; decision expected at the next funding "
            "committee.",
            "Agreement in principle, subject to parliamentary approval of the budget.",
        ],
        [
            "Send the revised concept note and budget",
            "Prepare the draft contribution agreement",
            "Ask BDT for co-financing commitments from private partners",
        ],
        weight=3,
    ),
    _topic(
        "secondment",
        "donor agency company",
        "Cost-free expert secondment",
        [
            "Discussed the secondment of a cost-free expert in {theme} for 12 "
            "months. {short} would cover salary and travel; ITU would provide the "
            "workplace and supervision. Raised the rules on conflicts of interest "
            "for experts from the private sector.",
        ],
        [
            "CV of the proposed expert to be shared.",
            "Secondment agreement to be drafted by the Legal Affairs Unit.",
        ],
        ["Ask Legal Affairs for the secondment agreement template"],
        weight=1,
    ),
    _topic(
        "hosting",
        "gov",
        "Offer to host a regional event in {next_year}",
        [
            "{country} offered to host a regional development forum in "
            "{next_year}. Discussed the host country agreement, the cost sharing "
            "and possible dates outside the study group season.",
        ],
        [
            "Host country agreement template to be sent; dates to be confirmed "
            "by the capital.",
        ],
        ["Send the host country agreement template to the mission"],
        weight=1,
    ),
    _topic(
        "p2c",
        "gov agency company funder un ngo",
        "Partner2Connect pledge: {theme}",
        [
            "Walked through the Partner2Connect Digital Coalition pledge form. "
            "{short} is considering a pledge on {theme} in {project_country}, "
            "with a financial component and in-kind expertise. Explained the "
            "annual progress reporting.",
            "Review of the progress report on the existing P2C pledge. "
            "Implementation is on track in two of the three target countries; "
            "the third is delayed by licensing.",
        ],
        [
            "Draft pledge text expected from {short}.",
            "Pledge to be announced at the next AI for Good Global Summit.",
            "Progress report accepted; figures to be updated on the P2C dashboard.",
        ],
        [
            "Send the P2C pledge template and examples to {contact}",
            "Update the {short} pledge record on the P2C dashboard",
            "Invite {short} to the pledge announcement session",
        ],
        weight=3,
    ),
    _topic(
        "ai4good",
        "donor company academia un agency",
        "AI for Good {event_year}: partnership",
        [
            "Presented the partnership packages for the AI for Good Global Summit "
            "{event_year}. {short} is interested in the Innovation Factory and in "
            "hosting a workshop on {theme}. Questions on branding, speaking slots "
            "and the deadline for confirmation.",
            "Debrief after the summit. {short} was satisfied with the visibility "
            "of its workshop and wants to discuss a multi-year partnership "
            "instead of a yearly sponsorship.",
        ],
        [
            "Interest in a Gold package (CHF 250,000), subject to budget approval.",
            "A three-year partnership proposal to be drafted.",
            "Will co-organise a workshop; no cash contribution this year.",
        ],
        [
            "Send the AI for Good partnership prospectus to {contact}",
            "Draft the three-year partnership proposal for {short}",
            "Confirm the workshop slot with the summit team",
        ],
        weight=3,
    ),
    _topic(
        "giga",
        "donor funder company ngo un",
        "Giga: school connectivity in {project_country}",
        [
            "Update on school mapping in {project_country}: about {schools} "
            "schools mapped, connectivity status known for {percent}% of them. "
            "{short} is ready to co-finance a pilot procurement model for the "
            "first 300 schools.",
            "Discussed the financing model for the next phase of Giga in "
            "{project_country}. {contact} asked for evidence of cost savings from "
            "aggregated procurement before committing.",
        ],
        [
            "Co-financing of the pilot under discussion ({amount}).",
            "The technical team will share the mapping data and the cost model.",
        ],
        [
            "Share access to the school mapping dashboard with {short}",
            "Send the cost model for aggregated procurement",
        ],
        weight=2,
    ),
    _topic(
        "cyber",
        "donor company igo",
        "Cybersecurity: national CIRT capacity building",
        [
            "Discussed support for the national CIRT of {project_country}: an "
            "assessment, a cyber drill and training for 40 staff. {short} could "
            "provide trainers; funding for travel and the drill is still open.",
        ],
        [
            "Assessment mission pencilled in for {month}.",
            "Proposal for a joint regional cyber drill to be drafted.",
        ],
        ["Send the CIRT assessment methodology to {contact}"],
        weight=1,
    ),
    _topic(
        "ewfa",
        "donor company un igo",
        "Early Warnings for All: emergency telecommunications",
        [
            "Briefing on the Early Warnings for All initiative and the gaps in "
            "{project_country_s} alerting systems. {short} offered cell-broadcast "
            "expertise and asked about the national emergency telecommunication "
            "plan.",
        ],
        [
            "Joint proposal on cell broadcast for {project_country} to be prepared.",
        ],
        ["Share the national emergency telecommunication plan guidelines"],
        weight=1,
    ),
    _topic(
        "girls",
        "gov company academia ngo funder",
        "Girls in ICT Day {girls_year}",
        [
            "Planning for International Girls in ICT Day {girls_year}. {short} "
            "will run coding workshops and mentoring sessions; discussed a "
            "regional event in {project_country} and media coverage.",
        ],
        [
            "{short} to confirm the number of workshops and mentors.",
            "Regional event agreed in principle.",
        ],
        ["Send the Girls in ICT Day toolkit and logo guidelines"],
        weight=1,
    ),
    _topic(
        "wsis",
        "gov academia ngo un",
        "WSIS Forum {event_year}: high-level track",
        [
            "Discussed participation in the WSIS Forum {event_year}: a speaking "
            "slot in the high-level track and a workshop on {theme}. {short} also "
            "asked about the WSIS Prizes nomination calendar.",
        ],
        ["Workshop proposal to be submitted through the open consultation."],
        ["Send the WSIS Forum open consultation link and deadlines"],
        weight=1,
    ),
    _topic(
        "membership",
        "company",
        "Sector membership and study groups",
        [
            "Reviewed {short}'s participation in the study groups; the company "
            "wants to lead a work item on {theme}. Discussed moving from Associate "
            "to full Sector Member and the dues involved.",
            "Renewal of the membership for {next_year}. {contact} asked for an "
            "invoice in two instalments and for an overview of the study groups "
            "most relevant to its roadmap.",
        ],
        [
            "Upgrade to Sector Member under consideration.",
            "Membership renewed; invoice to be split in two.",
        ],
        [
            "Send the membership upgrade options to {contact}",
            "Ask the Membership Division for a split invoice",
        ],
        weight=2,
    ),
    _topic(
        "academia",
        "academia",
        "Academia membership and research collaboration",
        [
            "Discussed how {short}'s researchers can contribute to the study "
            "groups and to the AI for Good Innovation Factory. Interest in hosting "
            "a Kaleidoscope academic conference and in student internships.",
            "{contact} presented the university's work on {theme}; agreed to "
            "explore a joint paper and a summer school.",
        ],
        [
            "Joint summer school on {theme} to be explored.",
            "Proposal to host Kaleidoscope to be submitted.",
        ],
        [
            "Introduce {contact} to the study group counsellor",
            "Send the Kaleidoscope hosting guidelines",
        ],
        weight=3,
    ),
    _topic(
        "in_kind",
        "company",
        "In-kind contribution: {in_kind}",
        [
            "{short} offered {in_kind}. Discussed the valuation of the in-kind "
            "contribution, customs clearance and the acknowledgement in reports.",
        ],
        [
            "Offer accepted in principle; valuation letter requested.",
            "Legal review of the donation agreement pending.",
        ],
        [
            "Request the valuation letter for the in-kind contribution",
            "Ask Legal Affairs to review the donation agreement",
        ],
        weight=2,
    ),
    _topic(
        "review",
        "funder un igo",
        "Annual partnership review {year}",
        [
            "Annual review of the partnership with {short}. Results for the year: "
            "joint projects in {project_country} on schedule, one delayed by "
            "procurement. Discussed priorities for {next_year} and a possible "
            "increase of the core contribution.",
        ],
        [
            "Joint work plan for {next_year} to be drafted.",
            "Increase of the contribution to be discussed with the board.",
        ],
        ["Draft the joint work plan for {next_year}"],
        weight=3,
    ),
    _topic(
        "cofinancing",
        "bank",
        "Co-financing: {theme} in {project_country}",
        [
            "Explored co-financing of {theme} in {project_country}. {short} "
            "would finance the infrastructure ({amount}); ITU would provide the "
            "regulatory and capacity-building component. The bank needs a "
            "feasibility study before appraisal.",
        ],
        [
            "Terms of reference for the feasibility study to be agreed.",
            "Project concept to go to the bank's investment committee in {month}.",
        ],
        [
            "Draft terms of reference for the feasibility study",
            "Prepare the project concept note for {short}",
        ],
        weight=3,
    ),
    _topic(
        "mou",
        "un igo",
        "Memorandum of understanding renewal",
        [
            "Review of the memorandum of understanding with {short}, which "
            "expires at the end of {year}. Both sides want to add {theme} to the "
            "areas of cooperation and a yearly joint planning meeting.",
        ],
        ["Revised MoU text to be exchanged."],
        ["Send the revised MoU draft to {contact}"],
        weight=1,
    ),
    _topic(
        "c2r",
        "donor funder company",
        "Connect2Recover: digital resilience",
        [
            "Presented the Connect2Recover methodology for digital resilience "
            "assessments. {short} could fund an assessment in {project_country} "
            "({amount}) and the follow-up policy support.",
        ],
        ["Funding decision expected by {month}."],
        ["Send the Connect2Recover assessment budget to {contact}"],
        weight=1,
    ),
    _topic(
        "giga_country",
        "beneficiary",
        "Giga: school connectivity in {country}",
        [
            "Update on school mapping in {country}: about {schools} schools "
            "mapped, connectivity status known for {percent}% of them. The "
            "ministry of education asked for help to prepare a procurement for "
            "the first 300 schools and to find co-financing.",
            "{contact} presented the national school connectivity plan. The "
            "government can cover the recurring costs if the initial investment "
            "is financed; asked for an introduction to the Giga funding partners.",
        ],
        [
            "Mapping data to be validated by the ministry by {month}.",
            "Introduction to two funding partners agreed.",
        ],
        [
            "Introduce the mission to the Giga funding partners",
            "Send the procurement model for the first 300 schools",
        ],
        weight=2,
    ),
    _topic(
        "cyber_request",
        "beneficiary",
        "Cybersecurity: support for the national CIRT",
        [
            "The mission requested support for {country_s} national CIRT: an "
            "assessment, a cyber drill and training for 40 staff. Explained the "
            "assessment methodology; funding for the drill is still to be found.",
        ],
        [
            "Assessment mission pencilled in for {month}, subject to funding.",
            "Request to be included in the next regional cyber drill.",
        ],
        [
            "Send the CIRT assessment methodology to {contact}",
            "Look for a donor for the {country} cyber drill",
        ],
        weight=1,
    ),
]

OPENERS = {
    Engagement.Kind.CALL: "Video call. ",
    Engagement.Kind.EMAIL: "E-mail exchange. ",
    Engagement.Kind.LETTER: "Exchange of letters after an earlier meeting. ",
    Engagement.Kind.VISIT: "Visit to {short}. ",
}
KIND_WEIGHTS = {
    Engagement.Kind.MEETING: 36,
    Engagement.Kind.CALL: 24,
    Engagement.Kind.EMAIL: 22,
    Engagement.Kind.LETTER: 5,
    Engagement.Kind.VISIT: 5,
    Engagement.Kind.BRIEFING: 4,
}
AUDIENCE = {
    Category.GOVERNMENT_AGENCY: "agency",
    Category.PRIVATE_SECTOR: "company",
    Category.ACADEMIA: "academia",
    Category.FOUNDATION: "foundation",
    Category.DEVELOPMENT_BANK: "bank",
    Category.UN_ENTITY: "un",
    Category.IGO: "igo",
    Category.CIVIL_SOCIETY: "ngo",
}
# fmt: off
EURO_COUNTRIES = {
    "AUT", "BEL", "HRV", "CYP", "EST", "FIN", "FRA", "DEU", "GRC", "IRL", "ITA",
    "LVA", "LTU", "LUX", "MLT", "NLD", "PRT", "SVK", "SVN", "ESP"
}
# fmt: on
AMOUNTS = [100_000, 150_000, 250_000, 300_000, 500_000, 750_000, 1_000_000, 2_000_000]


# --- In-memory plan ------------------------------------------------------------


@dataclass
class PlannedContact:
    email: str
    title: str
    first: str
    last: str
    job_title: str
    languages: str
    phone: str = ""
    notes: str = ""

    @property
    def display(self) -> str:
        return " ".join(p for p in (self.title, self.first, self.last) if p)


@dataclass
class PlannedAffiliation:
    email: str
    partner: str  # partner code
    role: str
    position: str
    primary: bool
    start: dt.date | None
    end: dt.date | None = None

    def active_on(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (
            self.end is None or self.end >= day
        )


@dataclass
class PlannedFollowUp:
    description: str
    assignee: str  # username
    due: dt.date
    status: str
    done_on: dt.date | None = None
    partner: str = ""  # partner code


@dataclass
class PlannedEngagement:
    date: dt.date
    kind: str
    subject: str
    summary: str
    outcome: str
    partners: list[str]
    contacts: list[str]  # e-mails
    staff: list[str]  # usernames
    event: tuple[str, dt.date] | None = None
    confidential: bool = False
    followups: list[PlannedFollowUp] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedEvent:
    name: str
    kind: str
    start: dt.date
    end: dt.date
    place: str
    country: str
    website: str = ""


@dataclass(frozen=True)
class StateInfo:
    """What the plan needs to know about a Member State (or Palestine)."""

    code: str
    iso3: str
    iso2: str
    name: str
    region: str
    subregion: str
    income: str
    is_ldc: bool
    is_member: bool


# --- Helpers -------------------------------------------------------------------


_SENTENCE_START = re.compile(r"(?:^|(?<=\. ))[a-z]")


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _ascii(text: str) -> str:
    return slugify(strip_accents(text)).replace("-", "")


def _email(first: str, last: str, domain: str, taken: set[str]) -> str:
    local = ".".join(p for p in (_ascii(first), _ascii(last)) if p) or "contact"
    email, n = f"{local}@{domain}", 2
    while email in taken:
        email, n = f"{local}{n}@{domain}", n + 1
    taken.add(email)
    return email


def _weekday(day: dt.date, today: dt.date) -> dt.date:
    """Move a weekend day to the nearest working day on or before today."""
    if day.weekday() == 5:
        day -= dt.timedelta(days=1)
    elif day.weekday() == 6:
        day += dt.timedelta(days=1)
        if day > today:
            day -= dt.timedelta(days=3)
    return day


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + dt.timedelta(days=offset + 7 * (n - 1))


def _name_area(state: StateInfo) -> str:
    """The pool of names a Member State's diplomats are drawn from."""
    if state.iso3 in COUNTRY_NAME_AREAS:
        return COUNTRY_NAME_AREAS[state.iso3]
    if state.region == "ARB":
        return "ar"
    if state.region == "CIS":
        return "cis"
    if state.iso3 in PORTUGUESE_SPEAKING:
        return "pt"
    if state.iso3 in FRENCH_SPEAKING:
        return "fr"
    if state.iso3 in ENGLISH_SPEAKING:
        return "en"
    if state.region == "AFR":
        return "en_africa"
    if state.region == "AMS" or state.iso3 in SPANISH_SPEAKING_EUR:
        return "es"
    if state.region == "ASP":
        if state.subregion in PACIFIC_SUBREGIONS:
            return "pacific"
        return "south_asia" if state.subregion == "Southern Asia" else "se_asia"
    return "eur"


def _languages(state: StateInfo) -> str:
    area = _name_area(state)
    return {
        "ar": "Arabic, English, French"
        if state.subregion == "Northern Africa"
        else "Arabic, English",
        "cis": "Russian, English",
        "pt": "Portuguese, English, French",
        "fr": "French, English",
        "es": "Spanish, English, French",
        "en": "English, French",
        "en_africa": "English, French",
        "pacific": "English",
        "south_asia": "English",
        "se_asia": "English",
        "zh": "Chinese, English",
        "ja": "Japanese, English",
        "ko": "Korean, English",
        "de": "German, English, French",
        "fr_eur": "French, English",
        "nordic": "English, French",
        "it": "Italian, English, French",
        "gr": "Greek, English, French",
        "nl": "Dutch, English, French",
        "eur": "English, French",
    }[area]


def _person(rng: random.Random, area: str, used: set[tuple[str, str]]):
    firsts, lasts = NAMES[area]
    for _ in range(50):
        first, gender = rng.choice(firsts)
        last = rng.choice(lasts)
        if gender == "F" and last.endswith(("ov", "ev")):
            last += "a"
        if (first, last) not in used:
            used.add((first, last))
            return first, last, gender
    raise RuntimeError(f"Name pool {area!r} exhausted.")


def _member_state_class(state: StateInfo, rng: random.Random) -> str:
    if state.iso3 in LARGE_CONTRIBUTORS:
        return LARGE_CONTRIBUTORS[state.iso3]
    if state.is_ldc:
        return rng.choice(["0.0625", "0.125", "0.125", "0.25", "0.5"])
    choices = {
        "High": ["1", "1", "2", "2", "3", "4", "5"],
        "Upper middle": ["0.5", "1", "1", "1", "1.5", "2"],
        "Lower middle": ["0.25", "0.5", "0.5", "0.5", "1"],
        "Low": ["0.25", "0.25", "0.5"],
    }.get(state.income, ["0.25", "0.5", "1"])
    return rng.choice(choices)


def _money(amount: int, iso3: str) -> tuple[str, str]:
    if iso3 == "CHE":
        currency = "CHF"
    elif iso3 in EURO_COUNTRIES:
        currency = "EUR"
    elif iso3 == "GBR":
        currency = "GBP"
    elif iso3 == "JPN":
        currency, amount = "JPY", amount * 150
    elif iso3 in {"SWE", "NOR"}:
        currency, amount = ("SEK" if iso3 == "SWE" else "NOK"), amount * 10
    else:
        currency = "USD"
    return currency, f"{currency} {amount:,}"


# --- Planning ------------------------------------------------------------------


def plan_events(today: dt.date) -> list[PlannedEvent]:
    """The flagship and other events of the last two years and the next one."""
    events: list[PlannedEvent] = []
    known = {
        ("AI for Good Global Summit", 2024): (dt.date(2024, 5, 30), 2),
        ("AI for Good Global Summit", 2025): (dt.date(2025, 7, 8), 4),
        ("AI for Good Global Summit", 2026): (dt.date(2026, 7, 7), 4),
        ("WSIS Forum", 2024): (dt.date(2024, 5, 27), 5),
        ("WSIS Forum", 2025): (dt.date(2025, 7, 7), 5),
        ("WSIS Forum", 2026): (dt.date(2026, 7, 6), 5),
        ("MWC Barcelona", 2024): (dt.date(2024, 2, 26), 4),
        ("MWC Barcelona", 2025): (dt.date(2025, 3, 3), 4),
        ("MWC Barcelona", 2026): (dt.date(2026, 3, 2), 4),
    }

    def add(name, year, default_start, days, kind, place, country, website=""):
        start, days = known.get((name, year), (default_start, days))
        events.append(
            PlannedEvent(
                f"{name} {year}",
                kind,
                start,
                start + dt.timedelta(days=days - 1),
                place,
                country,
                website,
            )
        )

    for year in range(today.year - 2, today.year + 2):
        upcoming_only = year > today.year
        add(
            "AI for Good Global Summit",
            year,
            _nth_weekday(year, 7, 1, 2),
            4,
            Event.Kind.FLAGSHIP,
            "Geneva",
            "CHE",
            "https://aiforgood.example",
        )
        if upcoming_only:
            continue
        add(
            "WSIS Forum",
            year,
            _nth_weekday(year, 7, 0, 1),
            5,
            Event.Kind.FLAGSHIP,
            "Geneva",
            "CHE",
        )
        add(
            "MWC Barcelona",
            year,
            _nth_weekday(year, 3, 0, 1),
            4,
            Event.Kind.INDUSTRY,
            "Barcelona",
            "ESP",
        )
        add(
            "International Girls in ICT Day",
            year,
            _nth_weekday(year, 4, 3, 4),
            1,
            Event.Kind.FLAGSHIP,
            "Geneva and worldwide",
            "CHE",
        )
        add(
            "Partner2Connect Digital Coalition annual meeting",
            year,
            _nth_weekday(year, 10, 1, 3),
            2,
            Event.Kind.FLAGSHIP,
            "Geneva",
            "CHE",
        )
        add(
            "ITU Digital World",
            year,
            _nth_weekday(year, 9, 1, 2),
            3,
            Event.Kind.CONFERENCE,
            ("Riyadh", "Bangkok", "Nairobi", "Lima")[year % 4],
            ("SAU", "THA", "KEN", "PER")[year % 4],
        )
        for quarter, month in enumerate((2, 5, 9, 11), start=1):
            add(
                f"Ambassadors' briefing Q{quarter}",
                year,
                _nth_weekday(year, month, 2, 2),
                1,
                Event.Kind.BRIEFING,
                "ITU headquarters, Geneva",
                "CHE",
            )
    if today.year - 2 <= 2025 <= today.year:
        events.append(
            PlannedEvent(
                "World Telecommunication Development Conference (WTDC-25)",
                Event.Kind.CONFERENCE,
                dt.date(2025, 11, 17),
                dt.date(2025, 11, 28),
                "Baku",
                "AZE",
            )
        )
    return events


def plan_people(
    rng: random.Random, today: dt.date, states: list[StateInfo]
) -> tuple[dict[str, PlannedContact], list[PlannedAffiliation]]:
    contacts: dict[str, PlannedContact] = {}
    affiliations: list[PlannedAffiliation] = []
    taken: set[str] = set()
    used: set[tuple[str, str]] = set()

    def add_contact(**values) -> PlannedContact:
        contact = PlannedContact(**values)
        contacts[contact.email] = contact
        return contact

    def days_ago(low: int, high: int) -> dt.date:
        return today - dt.timedelta(days=rng.randint(low, high))

    # Partner organisations.
    for org in ORGS:
        for index, person in enumerate(ORG_PEOPLE.get(org.code, [])):
            latin_first, _, latin_last = (person.latin or "").partition(" ")
            email = _email(
                latin_first or person.first,
                latin_last or person.last,
                org.domain,
                taken,
            )
            add_contact(
                email=email,
                title=person.title,
                first=person.first,
                last=person.last,
                job_title=person.position,
                languages=person.languages,
                notes=f"Name in Latin script: {person.latin}." if person.latin else "",
            )
            affiliations.append(
                PlannedAffiliation(
                    email,
                    org.code,
                    person.role,
                    person.position,
                    index == 0,
                    days_ago(120, 2600),
                )
            )

    # Permanent Missions in Geneva.
    members = [s for s in states if s.is_member]
    by_iso3 = {s.iso3: s for s in members}
    others = sorted(set(by_iso3) - set(KEY_MISSIONS))
    chosen = KEY_MISSIONS + sorted(
        rng.sample(others, MISSION_COUNT - len(KEY_MISSIONS))
    )
    rotated = set(rng.sample(chosen, 12))
    for iso3 in chosen:
        state = by_iso3[iso3]
        area = _name_area(state)
        domain = f"mission-{iso3.lower()}.example"
        phone_base = f"+41 22 {rng.randint(700, 799)} {rng.randint(10, 99)} "
        languages = _languages(state)
        if iso3 in NAMED_AMBASSADORS:
            first, last, gender, latin = NAMED_AMBASSADORS[iso3]
            used.add((first, last))
        else:
            (first, last, gender), latin = _person(rng, area, used), ""
        latin_first, _, latin_last = latin.rpartition(" ") if latin else ("", "", "")
        if latin and not first:  # Chinese: family name first, in one field
            latin_last, _, latin_first = latin.partition(" ")
        start = days_ago(60, 1400)
        position = (
            f"Ambassador, Permanent Representative of {state.name} to the United "
            "Nations Office and other international organizations in Geneva"
        )
        email = _email(latin_first or first, latin_last or last, domain, taken)
        add_contact(
            email=email,
            title="H.E.",
            first=first,
            last=last,
            job_title="Ambassador, Permanent Representative",
            languages=languages,
            phone=phone_base + "00",
            notes=(
                f"Name in Latin script: {'Ms' if gender == 'F' else 'Mr'} {latin}."
                if latin
                else ""
            ),
        )
        affiliations.append(
            PlannedAffiliation(
                email, state.code, Role.AMBASSADOR, position, True, start
            )
        )
        if iso3 in rotated:
            p_first, p_last, _gender = _person(rng, area, used)
            p_email = _email(p_first, p_last, domain, taken)
            add_contact(
                email=p_email,
                title="H.E.",
                first=p_first,
                last=p_last,
                job_title="Former Ambassador, Permanent Representative",
                languages=languages,
                notes="Left Geneva at the end of the posting; successor in post.",
            )
            affiliations.append(
                PlannedAffiliation(
                    p_email,
                    state.code,
                    Role.AMBASSADOR,
                    position,
                    False,
                    start - dt.timedelta(days=rng.randint(1100, 1600)),
                    start - dt.timedelta(days=rng.randint(1, 30)),
                )
            )
        roll = rng.random()
        if roll < 0.6:
            c_first, c_last, c_gender = _person(rng, area, used)
            attache = rng.random() < 0.3
            position = "ICT Attaché" if attache else "Counsellor (ITU affairs)"
            c_email = _email(c_first, c_last, domain, taken)
            add_contact(
                email=c_email,
                title="Ms" if c_gender == "F" else "Mr",
                first=c_first,
                last=c_last,
                job_title=position,
                languages=languages,
                phone=phone_base + f"{rng.randint(10, 99)}",
            )
            affiliations.append(
                PlannedAffiliation(
                    c_email,
                    state.code,
                    Role.ATTACHE if attache else Role.COUNSELLOR,
                    position,
                    False,
                    days_ago(30, 1200),
                )
            )
        if roll > 0.75:
            f_first, f_last, f_gender = _person(rng, area, used)
            position = rng.choice(
                [
                    "Director, International Cooperation, Ministry of Communications",
                    "Head of Multilateral Affairs, Ministry of Digital Economy",
                    "Senior Adviser, ICT Regulatory Authority",
                ]
            )
            f_email = _email(f_first, f_last, f"gov-{iso3.lower()}.example", taken)
            add_contact(
                email=f_email,
                title=rng.choice(["Dr", "Ms" if f_gender == "F" else "Mr"]),
                first=f_first,
                last=f_last,
                job_title=position,
                languages=languages,
            )
            affiliations.append(
                PlannedAffiliation(
                    f_email,
                    state.code,
                    Role.FOCAL_POINT,
                    position,
                    False,
                    days_ago(90, 1800),
                )
            )
    return contacts, affiliations


def plan_engagements(
    rng: random.Random,
    today: dt.date,
    states: list[StateInfo],
    contacts: dict[str, PlannedContact],
    affiliations: list[PlannedAffiliation],
    events: list[PlannedEvent],
    classes: dict[str, str],
) -> list[PlannedEngagement]:
    state_by_code = {s.code: s for s in states}
    orgs = {org.code: org for org in ORGS}
    owners = _owners(states)
    by_partner: dict[str, list[PlannedAffiliation]] = {}
    for affiliation in affiliations:
        by_partner.setdefault(affiliation.partner, []).append(affiliation)
    developing = sorted(
        s.name for s in states if s.is_member and s.income in {"Low", "Lower middle"}
    )
    usernames = [username for username, *_ in STAFF]
    start = today - dt.timedelta(days=HISTORY_DAYS)
    past_events = [e for e in events if start <= e.start <= today]

    # Partners to draw from, with weights.
    codes: list[str] = []
    weights: list[float] = []
    for state in states:
        if not state.is_member and state.iso3 != "PSE":
            continue
        codes.append(state.code)
        has_mission = state.code in by_partner
        large = state.iso3 in LARGE_CONTRIBUTORS
        weights.append((3.0 if has_mission else 0.25) + (3.0 if large else 0.0))
    for org in ORGS:
        codes.append(org.code)
        weights.append(6.0 if org.priority == Partner.Priority.HIGH else 3.5)

    def label(code: str) -> str:
        state = state_by_code.get(code)
        return state.name if state else orgs[code].name

    def audience(code: str) -> str:
        state = state_by_code.get(code)
        if state is None:
            return AUDIENCE[orgs[code].category]
        donor = state.income == "High" or state.iso3 in LARGE_CONTRIBUTORS
        return "donor" if donor else "beneficiary"

    def current(code: str, day: dt.date) -> list[PlannedAffiliation]:
        return [a for a in by_partner.get(code, []) if a.active_on(day)]

    def pick_staff(code: str) -> list[str]:
        owner = owners.get(code) or rng.choice(usernames)
        staff = [owner]
        if rng.random() < 0.3:
            other = rng.choice(usernames)
            if other != owner:
                staff.append(other)
        return staff

    def fill(text: str, values: dict[str, str]) -> str:
        # "the mission confirmed..." at the start of a sentence needs a capital.
        return _SENTENCE_START.sub(lambda m: m.group(0).upper(), text.format(**values))

    def values_for(code: str, day: dt.date, people: list[str], staff: list[str]):
        state = state_by_code.get(code)
        iso3 = state.iso3 if state else orgs[code].country
        amount = rng.choice(AMOUNTS)
        currency, amount_text = _money(amount, iso3)
        if state and state.income in {"Low", "Lower middle"}:
            project_country = state.name
        else:
            project_country = rng.choice(developing)
        short = state.name if state else (orgs[code].short or orgs[code].name)
        contact = (
            contacts[people[0]].display
            if people
            else ("the mission" if state else f"the {short} team")
        )
        units = classes.get(code, "1")
        after_summer = day.month >= 8
        month = (day + dt.timedelta(days=rng.randint(30, 120))).strftime("%B")
        return {
            "partner": label(code),
            "short": short,
            "country": state.name if state else "",
            "country_s": _possessive(state.name) if state else "",
            "contact": contact,
            "staff": " ".join(STAFF[usernames.index(staff[0])][1:3]),
            "theme": rng.choice(THEMES),
            "year": str(day.year),
            "prev_year": str(day.year - 2),
            "next_year": str(day.year + 1),
            "event_year": str(day.year + 1 if after_summer else day.year),
            "girls_year": str(day.year + 1 if day.month >= 5 else day.year),
            "month": month,
            "amount": amount_text,
            "currency": currency,
            "project_country": project_country,
            "project_country_s": _possessive(project_country),
            "schools": f"{rng.randint(8, 40) * 250:,}",
            "percent": str(rng.randint(35, 85)),
            "in_kind": rng.choice(IN_KIND),
            "units": f"{_class_text(units)} contributory "
            f"unit{'s' if Decimal(units) > 1 else ''}",
        }

    def followups_for(
        topic: Topic, values: dict, day: dt.date, staff: list[str], code: str
    ) -> list[PlannedFollowUp]:
        roll = rng.random()
        count = 2 if roll < 0.1 else 1 if roll < 0.5 else 0
        planned = []
        for description in rng.sample(
            topic.followups, min(count, len(topic.followups))
        ):
            due = day + dt.timedelta(days=rng.randint(5, 30))
            status, done_on = FollowUp.Status.OPEN, None
            if due < today - dt.timedelta(days=14):
                roll = rng.random()
                if roll < 0.82:
                    status = FollowUp.Status.DONE
                elif roll < 0.87:
                    status = FollowUp.Status.CANCELLED
            elif due < today and rng.random() < 0.45:
                status = FollowUp.Status.DONE
            if status == FollowUp.Status.DONE:
                done_on = min(
                    today, max(day, due + dt.timedelta(days=rng.randint(-6, 4)))
                )
            planned.append(
                PlannedFollowUp(
                    fill(description, values), staff[0], due, status, done_on, code
                )
            )
        return planned

    planned: list[PlannedEngagement] = []
    kinds = list(KIND_WEIGHTS)
    kind_weights = list(KIND_WEIGHTS.values())

    # Everyday engagements.
    for _ in range(ENGAGEMENT_COUNT):
        code = rng.choices(codes, weights)[0]
        day = _weekday(start + dt.timedelta(days=rng.randint(1, HISTORY_DAYS)), today)
        kind = rng.choices(kinds, kind_weights)[0]
        topics = [t for t in TOPICS if audience(code) in t.audiences]
        topic = rng.choices(topics, [t.weight for t in topics])[0]
        available = current(code, day)
        people = [a.email for a in rng.sample(available, min(len(available), 2))]
        if people and rng.random() < 0.6:
            people = people[:1]
        staff = pick_staff(code)
        values = values_for(code, day, people, staff)
        subject = fill(topic.subject, values)
        if values["short"] not in subject:
            subject = f"{subject} – {values['short']}"
        opener = fill(OPENERS.get(kind, ""), values)
        partners = [code]
        if code not in state_by_code and rng.random() < 0.12:
            partner_state = next(
                (s for s in states if s.iso3 == orgs[code].country and s.is_member),
                None,
            )
            if partner_state:
                partners.append(partner_state.code)
        planned.append(
            PlannedEngagement(
                date=day,
                kind=kind,
                subject=subject[:200],
                summary=opener + fill(rng.choice(topic.summaries), values),
                outcome=fill(rng.choice(topic.outcomes), values),
                partners=partners,
                contacts=people,
                staff=staff,
                confidential=rng.random() < (topic.confidential or 0.02),
                followups=followups_for(topic, values, day, staff, code),
            )
        )

    # Ambassadors' briefings: many missions at once.
    mission_codes = sorted(code for code in by_partner if code in state_by_code)
    for event in [e for e in past_events if e.kind == Event.Kind.BRIEFING]:
        attending = sorted(rng.sample(mission_codes, rng.randint(8, 14)))
        people = [a.email for code in attending for a in current(code, event.start)[:1]]
        topic = rng.choice(BRIEFING_TOPICS)
        staff = sorted(rng.sample(usernames, 3))
        planned.append(
            PlannedEngagement(
                date=event.start,
                kind=Engagement.Kind.BRIEFING,
                subject=f"{event.name}: {topic}"[:200],
                summary=(
                    f"Briefing for Geneva-based missions on {topic}. "
                    f"{len(attending)} missions attended. Questions focused on "
                    "the timeline of the next funding round, the reporting "
                    "requirements for earmarked contributions and how smaller "
                    "delegations can join Partner2Connect without a financial "
                    "pledge."
                ),
                outcome="Presentation and a summary of the questions to be "
                "circulated to all missions.",
                partners=attending,
                contacts=people,
                staff=staff,
                event=(event.name, event.start),
                followups=[
                    PlannedFollowUp(
                        "Circulate the presentation and Q&A summary to all missions",
                        staff[0],
                        event.start + dt.timedelta(days=7),
                        FollowUp.Status.DONE
                        if event.start + dt.timedelta(days=7) < today
                        else FollowUp.Status.OPEN,
                        min(today, event.start + dt.timedelta(days=6))
                        if event.start + dt.timedelta(days=7) < today
                        else None,
                        attending[0],
                    )
                ],
            )
        )

    # Bilateral meetings on the margins of the flagship events.
    for event in [e for e in past_events if e.kind != Event.Kind.BRIEFING]:
        for _ in range(rng.randint(3, 6)):
            code = rng.choices(codes, weights)[0]
            day = event.start + dt.timedelta(
                days=rng.randint(0, (event.end - event.start).days)
            )
            day = min(day, today)
            topics = [t for t in TOPICS if audience(code) in t.audiences]
            topic = rng.choices(topics, [t.weight for t in topics])[0]
            available = current(code, day)
            people = [a.email for a in available[:1]]
            staff = pick_staff(code)
            values = values_for(code, day, people, staff)
            planned.append(
                PlannedEngagement(
                    date=day,
                    kind=Engagement.Kind.EVENT,
                    subject=f"{event.name}: bilateral with {values['short']}"[:200],
                    summary=(
                        f"Met {values['contact']} on the margins of {event.name} "
                        f"in {event.place}. "
                        + fill(rng.choice(topic.summaries), values)
                    ),
                    outcome=fill(rng.choice(topic.outcomes), values),
                    partners=[code],
                    contacts=people,
                    staff=staff,
                    event=(event.name, event.start),
                    followups=followups_for(topic, values, day, staff, code),
                )
            )

    planned.sort(key=lambda e: (e.date, e.subject))
    _pin_followups(planned, today)
    # One engagement per (subject, date): the natural key.
    unique: dict[tuple[str, dt.date], PlannedEngagement] = {}
    for engagement in planned:
        unique.setdefault((engagement.subject, engagement.date), engagement)
    return list(unique.values())


def _pin_followups(planned: list[PlannedEngagement], today: dt.date) -> None:
    """Make sure the start page has open work: some overdue, some due soon."""
    everyday = [e for e in planned if e.kind != Engagement.Kind.BRIEFING]

    def first_followup(engagement: PlannedEngagement) -> PlannedFollowUp:
        engagement.followups = engagement.followups[:1] or [
            PlannedFollowUp(
                "Send a written summary and the agreed next steps",
                engagement.staff[0],
                today,
                FollowUp.Status.OPEN,
                partner=engagement.partners[0],
            )
        ]
        followup = engagement.followups[0]
        followup.status, followup.done_on = FollowUp.Status.OPEN, None
        return followup

    for offset, engagement in zip(
        (1, 2, 4, 5, 7, 9, 11, 13), everyday[-8:], strict=False
    ):
        first_followup(engagement).due = today + dt.timedelta(days=offset)
    window = [
        e
        for e in everyday
        if today - dt.timedelta(days=90) <= e.date <= today - dt.timedelta(days=25)
    ]
    for engagement in window[-8:]:
        first_followup(engagement).due = engagement.date + dt.timedelta(days=10)


def _class_text(value: str) -> str:
    return format_class(Decimal(value))


def _owners(states: list[StateInfo]) -> dict[str, str]:
    """Relationship owner (username) by partner code."""
    by_region = {
        region: username for username, _, _, regions in STAFF for region in regions
    }
    owners = {state.code: by_region[state.region] for state in states}
    for index, org in enumerate(ORGS):
        owners[org.code] = STAFF[index % len(STAFF)][0]
    return owners


def plan_partner_followups(
    rng: random.Random,
    today: dt.date,
    states: list[StateInfo],
    affiliations: list[PlannedAffiliation],
) -> list[PlannedFollowUp]:
    """To-dos that belong to a partner rather than to one engagement."""
    owners = _owners(states)
    rotated = sorted(
        {a.partner for a in affiliations if a.role == Role.AMBASSADOR and a.end}
    )
    planned = []
    for code in rotated[:6]:
        successor = next(
            a
            for a in affiliations
            if a.partner == code and a.role == Role.AMBASSADOR and not a.end
        )
        due = max(
            successor.start + dt.timedelta(days=30), today - dt.timedelta(days=20)
        )
        due += dt.timedelta(days=rng.randint(0, 30))
        planned.append(
            PlannedFollowUp(
                "Offer a welcome briefing to the new Ambassador",
                owners[code],
                due,
                FollowUp.Status.OPEN,
                partner=code,
            )
        )
    for org in ORGS[:4]:
        planned.append(
            PlannedFollowUp(
                f"Prepare the annual acknowledgement letter for {org.name}",
                owners[org.code],
                dt.date(today.year, 12, 15),
                FollowUp.Status.OPEN,
                partner=org.code,
            )
        )
    return planned


# --- Writing -------------------------------------------------------------------


class Tally(Counter):
    def line(self, label: str) -> str:
        return f"  {label}: {self['created']} created, {self['existing']} existing"


def seed(*, rng: random.Random, today: dt.date, stdout) -> None:
    """Load the partners demo data; see the module docstring."""
    seeds = {
        name: rng.getrandbits(64)
        for name in ("people", "classes", "log", "todo", "arrears")
    }
    states = _states()
    if not states:
        raise RuntimeError("No government partners: run seed_reference first.")

    events = plan_events(today)
    contacts, affiliations = plan_people(random.Random(seeds["people"]), today, states)
    classes_rng = random.Random(seeds["classes"])
    classes = {
        s.code: _member_state_class(s, classes_rng) for s in states if s.is_member
    }
    engagements = plan_engagements(
        random.Random(seeds["log"]),
        today,
        states,
        contacts,
        affiliations,
        events,
        classes,
    )
    todos = plan_partner_followups(
        random.Random(seeds["todo"]), today, states, affiliations
    )

    report: list[str] = []
    users = _write_staff(report)
    tags = _write_tags(report)
    partners = _write_partners(users, tags, states, report)
    _write_memberships(
        partners, states, classes, today, random.Random(seeds["arrears"]), report
    )
    people = _write_contacts(contacts, affiliations, partners, report)
    event_objects = _write_events(events, report)
    _write_engagements(engagements, partners, people, users, event_objects, report)
    _write_partner_followups(todos, partners, users, report)
    for line in report:
        stdout.write(line)


def _states() -> list[StateInfo]:
    governments = (
        Partner.objects.filter(code__startswith="GOV-", country__isnull=False)
        .select_related("country")
        .order_by("code")
    )
    return [
        StateInfo(
            code=p.code,
            iso3=p.country.iso3,
            iso2=p.country.iso2,
            name=p.country.name_en,
            region=p.country.itu_region,
            subregion=p.country.m49_subregion,
            income=p.country.income_group,
            is_ldc=p.country.is_ldc,
            is_member=p.country.is_itu_member_state,
        )
        for p in governments
    ]


def _write_staff(report: list[str]) -> dict:
    User = get_user_model()
    existing = {
        u.username: u for u in User.objects.filter(username__in=[s[0] for s in STAFF])
    }
    tally, new = Tally(), []
    for username, first, last, _regions in STAFF:
        if username in existing:
            tally["existing"] += 1
            continue
        user = User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@example.org",
            is_staff=True,
        )
        user.set_unusable_password()
        new.append(user)
        tally["created"] += 1
    User.objects.bulk_create(new)
    report.append(tally.line("staff users"))
    users = {
        u.username: u for u in User.objects.filter(username__in=[s[0] for s in STAFF])
    }
    roles_setup()
    task_force = Group.objects.get(name=TASK_FORCE)
    task_force.user_set.add(*users.values())
    return users


def _write_tags(report: list[str]) -> dict[str, Tag]:
    existing = set(Tag.objects.filter(name__in=TAGS).values_list("name", flat=True))
    Tag.objects.bulk_create([Tag(name=n) for n in TAGS if n not in existing])
    report.append(
        Tally(created=len(TAGS) - len(existing), existing=len(existing)).line("tags")
    )
    return {t.name: t for t in Tag.objects.filter(name__in=TAGS)}


def _write_partners(users, tags, states, report) -> dict[str, Partner]:
    owners = _owners(states)
    codes = [org.code for org in ORGS]
    existing = {p.code: p for p in Partner.objects.filter(code__in=codes)}
    countries = {c.iso3: c for c in Country.objects.all()}
    tally, new = Tally(), []
    for org in ORGS:
        if org.code in existing:
            tally["existing"] += 1
            continue
        partner = Partner(
            code=org.code,
            name=org.name,
            name_fr=org.name_fr,
            short_name=org.short,
            category=org.category,
            country=countries[org.country],
            website=f"https://www.{org.domain}",
            owner=users[owners[org.code]],
            priority=org.priority,
            notes=org.notes,
        )
        partner.full_clean(exclude=["parent", "owner", "country"])
        new.append(partner)
        tally["created"] += 1
    Partner.objects.bulk_create(new)
    by_code = {
        p.code: p
        for p in Partner.objects.filter(
            Q(code__in=codes) | Q(code__startswith="GOV-")
        ).select_related("country")
    }
    # Parents and tags only on the partners created now: later edits stay.
    created = {p.code for p in new}
    with_parent = []
    for org in ORGS:
        if org.code in created and org.parent:
            partner = by_code[org.code]
            partner.parent = by_code[org.parent]
            with_parent.append(partner)
    Partner.objects.bulk_update(with_parent, ["parent"])
    Through = Partner.tags.through
    Through.objects.bulk_create(
        [
            Through(partner_id=by_code[org.code].pk, tag_id=tags[name].pk)
            for org in ORGS
            if org.code in created
            for name in org.tags
        ]
    )
    # Member States get a relationship owner once; an administrator's choice stays.
    unowned = [
        p
        for p in by_code.values()
        if p.code.startswith("GOV-") and p.owner_id is None and p.code in owners
    ]
    for partner in unowned:
        partner.owner = users[owners[partner.code]]
        if partner.country.iso3 in LARGE_CONTRIBUTORS:
            partner.priority = Partner.Priority.HIGH
    Partner.objects.bulk_update(unowned, ["owner", "priority"])
    report.append(tally.line("partners"))
    report.append(f"  relationship owners set on {len(unowned)} Member States")
    return by_code


def _write_memberships(partners, states, classes, today, arrears_rng, report) -> None:
    existing = set(
        Membership.objects.filter(partner__in=partners.values()).values_list(
            "partner__code", "type", "sector"
        )
    )
    unit = UnitValue.for_year(today.year)
    state_by_code = {s.code: s for s in states}
    in_arrears = set(
        arrears_rng.sample(
            sorted(
                code
                for code, s in state_by_code.items()
                if s.is_member and s.iso3 not in LARGE_CONTRIBUTORS
            ),
            12,
        )
    )
    planned: list[Membership] = []
    for code, value in sorted(classes.items()):
        state = state_by_code[code]
        cls = Decimal(value)
        arrears = Decimal("0.00")
        if code in in_arrears:
            arrears = cls * unit * Decimal(arrears_rng.choice(["0.5", "1", "2.5"]))
        planned.append(
            Membership(
                partner=partners[code],
                type=MType.MEMBER_STATE,
                sector="",
                contribution_class=cls,
                start_date=ITU_FOUNDED
                if state.iso3 in FOUNDING_MEMBERS
                else JOINED.get(state.iso3),
                arrears_chf=arrears.quantize(Decimal("0.01")),
                arrears_as_of=today.replace(day=1) if arrears else None,
            )
        )
    for code, rows in ORG_MEMBERSHIPS.items():
        for index, (mtype, sector, value, status) in enumerate(rows):
            cls = Decimal(value)
            since = dt.date(today.year - 3 - 2 * index - len(code) % 5, 1, 1)
            membership = Membership(
                partner=partners[code],
                type=mtype,
                sector=sector,
                contribution_class=cls,
                start_date=since,
                status=status,
            )
            if status == "ended":
                membership.end_date = dt.date(today.year - 1, 12, 31)
            if status == "suspended":
                # A year and a half of unpaid dues.
                dues = membership.annual_dues_chf(today.year)
                membership.arrears_chf = (dues * Decimal("1.5")).quantize(
                    Decimal("0.01")
                )
                membership.arrears_as_of = today.replace(day=1)
            planned.append(membership)
    tally, new = Tally(), []
    for membership in planned:
        key = (membership.partner.code, membership.type, membership.sector)
        if key in existing:
            tally["existing"] += 1
            continue
        membership.full_clean()
        new.append(membership)
        tally["created"] += 1
    Membership.objects.bulk_create(new)
    report.append(tally.line("memberships"))


def _write_contacts(contacts, affiliations, partners, report) -> dict[str, Contact]:
    existing = {c.email: c for c in Contact.objects.filter(email__in=list(contacts))}
    tally, new = Tally(), []
    for email, planned in contacts.items():
        if email in existing:
            tally["existing"] += 1
            continue
        new.append(
            Contact(
                title=planned.title,
                first_name=planned.first,
                last_name=planned.last,
                job_title=planned.job_title,
                email=email,
                phone=planned.phone,
                languages=planned.languages,
                notes=planned.notes,
            )
        )
        tally["created"] += 1
    Contact.objects.bulk_create(new)
    report.append(tally.line("contacts"))
    by_email = {c.email: c for c in Contact.objects.filter(email__in=list(contacts))}

    present = set(
        Affiliation.objects.filter(contact__in=by_email.values()).values_list(
            "contact__email", "partner__code", "role"
        )
    )
    tally, new = Tally(), []
    for a in affiliations:
        if (a.email, a.partner, a.role) in present:
            tally["existing"] += 1
            continue
        present.add((a.email, a.partner, a.role))
        new.append(
            Affiliation(
                contact=by_email[a.email],
                partner=partners[a.partner],
                role=a.role,
                position=a.position[:200],
                is_primary=a.primary,
                start_date=a.start,
                end_date=a.end,
            )
        )
        tally["created"] += 1
    Affiliation.objects.bulk_create(new)
    report.append(tally.line("affiliations"))
    return by_email


def _write_events(events, report) -> dict[tuple[str, dt.date], Event]:
    names = [e.name for e in events]
    existing = {(e.name, e.start_date): e for e in Event.objects.filter(name__in=names)}
    countries = {
        c.iso3: c for c in Country.objects.filter(iso3__in={e.country for e in events})
    }
    tally, new = Tally(), []
    for e in events:
        if (e.name, e.start) in existing:
            tally["existing"] += 1
            continue
        new.append(
            Event(
                name=e.name,
                kind=e.kind,
                start_date=e.start,
                end_date=e.end,
                place=e.place,
                country=countries.get(e.country),
                website=e.website,
            )
        )
        tally["created"] += 1
    Event.objects.bulk_create(new)
    report.append(tally.line("events"))
    return {(e.name, e.start_date): e for e in Event.objects.filter(name__in=names)}


def _write_engagements(engagements, partners, people, users, events, report) -> None:
    keys = {(e.subject, e.date) for e in engagements}
    existing = (
        set(
            Engagement.objects.filter(subject__in={s for s, _ in keys}).values_list(
                "subject", "date"
            )
        )
        & keys
    )
    new = [e for e in engagements if (e.subject, e.date) not in existing]
    demo_history = Engagement.objects.filter(
        staff__username__in=[s[0] for s in STAFF]
    ).exists()
    if new and demo_history:
        # The history is written once. Seeded on another day (or thinned out by
        # hand since), it stays as it is rather than gain a shifted copy.
        report.append(
            f"  engagements: 0 created, {len(existing)} existing (the demo history "
            "from an earlier run is kept as it is)"
        )
        return
    tally = Tally()
    tally["existing"] = len(engagements) - len(new)
    objects = [
        Engagement(
            date=e.date,
            kind=e.kind,
            subject=e.subject,
            summary=e.summary,
            outcome=e.outcome,
            event=events[e.event] if e.event else None,
            confidential=e.confidential,
            created_by=users[e.staff[0]],
        )
        for e in new
    ]
    Engagement.objects.bulk_create(objects)
    tally["created"] = len(objects)
    PartnerLink = Engagement.partners.through
    ContactLink = Engagement.contacts.through
    StaffLink = Engagement.staff.through
    PartnerLink.objects.bulk_create(
        [
            PartnerLink(engagement_id=obj.pk, partner_id=partners[code].pk)
            for obj, e in zip(objects, new, strict=True)
            for code in e.partners
        ]
    )
    ContactLink.objects.bulk_create(
        [
            ContactLink(engagement_id=obj.pk, contact_id=people[email].pk)
            for obj, e in zip(objects, new, strict=True)
            for email in dict.fromkeys(e.contacts)
        ]
    )
    StaffLink.objects.bulk_create(
        [
            StaffLink(engagement_id=obj.pk, user_id=users[username].pk)
            for obj, e in zip(objects, new, strict=True)
            for username in dict.fromkeys(e.staff)
        ]
    )
    followups = [
        FollowUp(
            engagement=obj,
            partner=partners[f.partner or e.partners[0]],
            description=f.description[:300],
            assignee=users[f.assignee],
            due_date=f.due,
            status=f.status,
            done_on=f.done_on,
        )
        for obj, e in zip(objects, new, strict=True)
        for f in e.followups
    ]
    FollowUp.objects.bulk_create(followups)
    report.append(tally.line("engagements"))
    report.append(f"  follow-ups on engagements: {len(followups)} created")


def _write_partner_followups(todos, partners, users, report) -> None:
    present = set(
        FollowUp.objects.filter(engagement__isnull=True).values_list(
            "partner__code", "description"
        )
    )
    tally, new = Tally(), []
    for f in todos:
        if (f.partner, f.description) in present:
            tally["existing"] += 1
            continue
        new.append(
            FollowUp(
                partner=partners[f.partner],
                description=f.description,
                assignee=users[f.assignee],
                due_date=f.due,
                status=f.status,
                done_on=f.done_on,
            )
        )
        tally["created"] += 1
    FollowUp.objects.bulk_create(new)
    report.append(tally.line("follow-ups on partners"))
