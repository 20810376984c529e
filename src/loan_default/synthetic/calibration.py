"""The real data's figures that the generator reproduces.

Category counts, missing rates, quantile knots, building statistics, document and
contact flag rates, previous-application mixes, the id layout, and the constants of
the risk model that were calibrated at full scale. The code that uses them holds only
the shape of each distribution.
"""

from __future__ import annotations

from loan_default.schema import DAYS_EMPLOYED_SENTINEL

# ``DAYS_EMPLOYED`` and the previous applications' day columns use it as a float.
SENTINEL = float(DAYS_EMPLOYED_SENTINEL)

# Ids: the training file's SK_ID_CURR starts at 100002 (with gaps, as in the real
# file), and a population takes about 1.2 ids per applicant and 5 previous ids. A
# batch of new applicants starts at 100,000,000 and its SK_ID_PREV at ten times its
# first id, above the ids of any training population of up to 80 million
# applicants, so a batch never shares an id with the population it is scored
# against.
FIRST_TRAINING_ID = 100_002
FIRST_PREVIOUS_ID = 1_000_001
NEW_PREVIOUS_ID_FACTOR = 10
NEW_APPLICATIONS_FIRST_ID = 100_000_000

# Fixed so that the reference population defaults at 8.07% (calibrated on big samples);
# a drifted batch therefore defaults at a different rate, as real drift does.
DEFAULT_INTERCEPT = -1.1
# Weight of the external scores' risk in the log-odds: with the scores the strongest
# signal, as in the real data, the oracle AUC is about 0.79.
SCORE_RISK_WEIGHT = 1.35
# Centre and spread of the score risk in the reference population, so that the
# refusal history reflects a standardised risk whatever the batch.
SCORE_RISK_MEAN = -1.64
SCORE_RISK_SD = 0.55
# Log-odds of the risk model's other terms, calibrated on large samples so that each
# group defaults at its real rate: EXT_SOURCE_3 missing 9.9%; credit bureau requests
# missing 10.6%; building not described 9.3%; FLAG_DOCUMENT_3 given 8.9%;
# registered in another city than the one lived in 13.0%; employed 10-20 years 4.3%
# (a term reached at 15 years, growing from 5); under 25 years old 12.3% (a term
# growing from 35 years old down to 20); pensioners 5.4%; men 10.1%; revolving loans
# 4.9%; the fifth of the largest loans 5.5% (a term per unit of log goods price
# above the median).
RISK_TERMS = {
    "ext_source_3_missing": 0.32,
    "credit_bureau_missing": 0.34,
    "building_missing": 0.36,
    "document_3": 0.32,
    "registered_in_another_city": 0.48,
    "employed_5_to_15_years": -1.1,
    "youth": -0.46,
    "pensioner": -0.02,
    "male": 0.57,
    "revolving_loan": -0.69,
    "log_goods_price_above_median": -1.07,
}
# Log-odds of each level, calibrated so that it defaults at its real rate: a public
# sample's, shrunk towards the overall rate as if each level had 10 more sample rows
# defaulting at 8.07% (IT staff: 0 defaults in 16 rows). The levels not named, and
# a missing occupation, are the reference.
OCCUPATION_RISK = {
    "Accountants": -0.68,
    "Cleaning staff": 0.39,
    "Cooking staff": 0.74,
    "Core staff": -0.14,
    "Drivers": 0.34,
    "HR staff": 0.21,
    "High skill tech staff": 0.24,
    "IT staff": -0.95,
    "Laborers": 0.38,
    "Low-skill Laborers": 0.97,
    "Managers": -0.11,
    "Medicine staff": 0.0,
    "Private service staff": 0.4,
    "Realty agents": -0.39,
    "Sales staff": 0.21,
    "Secretaries": -0.3,
    "Security staff": 0.55,
    "Waiters/barmen staff": 0.44,
}
EDUCATION_RISK = {
    "Academic degree": -0.65,
    "Higher education": -0.65,
    "Incomplete higher": -0.32,
    "Lower secondary": 0.35,
}
# Pension score (age minus retirement age plus noise) above which one is retired:
# 18% of applicants are pensioners, many of them retired early.
PENSION_THRESHOLD = -0.45

# Category counts of the real data (application table: all rows; building and
# previous-application columns: public samples). Only the relative sizes matter.
APPLICATION_CATEGORY_COUNTS: dict[str, dict[str, float]] = {
    "NAME_CONTRACT_TYPE": {"Cash loans": 278232, "Revolving loans": 29279},
    "CODE_GENDER": {"F": 202448, "M": 105059, "XNA": 4},
    "FLAG_OWN_REALTY": {"N": 94199, "Y": 213312},
    "NAME_TYPE_SUITE": {
        "Children": 3267,
        "Family": 40149,
        "Group of people": 271,
        "Other_A": 866,
        "Other_B": 1770,
        "Spouse, partner": 11370,
        "Unaccompanied": 248526,
    },
    "NAME_EDUCATION_TYPE": {
        "Academic degree": 164,
        "Higher education": 74863,
        "Incomplete higher": 10277,
        "Lower secondary": 3816,
        "Secondary / secondary special": 218391,
    },
    "NAME_FAMILY_STATUS": {
        "Civil marriage": 29775,
        "Married": 196432,
        "Separated": 19770,
        "Single / not married": 45444,
        "Unknown": 2,
        "Widow": 16088,
    },
    "NAME_HOUSING_TYPE": {
        "Co-op apartment": 1122,
        "House / apartment": 272868,
        "Municipal apartment": 11183,
        "Office apartment": 2617,
        "Rented apartment": 4881,
        "With parents": 14840,
    },
    "OCCUPATION_TYPE": {
        "Accountants": 9813,
        "Cleaning staff": 4653,
        "Cooking staff": 5946,
        "Core staff": 27570,
        "Drivers": 18603,
        "HR staff": 563,
        "High skill tech staff": 11380,
        "IT staff": 526,
        "Laborers": 55186,
        "Low-skill Laborers": 2093,
        "Managers": 21371,
        "Medicine staff": 8537,
        "Private service staff": 2652,
        "Realty agents": 751,
        "Sales staff": 32102,
        "Secretaries": 1305,
        "Security staff": 6721,
        "Waiters/barmen staff": 1348,
    },
    "WEEKDAY_APPR_PROCESS_START": {
        "FRIDAY": 50338,
        "MONDAY": 50714,
        "SATURDAY": 33852,
        "SUNDAY": 16181,
        "THURSDAY": 50591,
        "TUESDAY": 53901,
        "WEDNESDAY": 51934,
    },
    "ORGANIZATION_TYPE": {
        "Advertising": 429,
        "Agriculture": 2454,
        "Bank": 2507,
        "Business Entity Type 1": 5984,
        "Business Entity Type 2": 10553,
        "Business Entity Type 3": 67992,
        "Cleaning": 260,
        "Construction": 6721,
        "Culture": 379,
        "Electricity": 950,
        "Emergency": 560,
        "Government": 10404,
        "Hotel": 966,
        "Housing": 2958,
        "Industry: type 1": 1039,
        "Industry: type 10": 109,
        "Industry: type 11": 2704,
        "Industry: type 12": 369,
        "Industry: type 13": 67,
        "Industry: type 2": 458,
        "Industry: type 3": 3278,
        "Industry: type 4": 877,
        "Industry: type 5": 599,
        "Industry: type 6": 112,
        "Industry: type 7": 1307,
        "Industry: type 8": 24,
        "Industry: type 9": 3368,
        "Insurance": 597,
        "Kindergarten": 6880,
        "Legal Services": 305,
        "Medicine": 11193,
        "Military": 2634,
        "Mobile": 317,
        "Other": 16683,
        "Police": 2341,
        "Postal": 2157,
        "Realtor": 396,
        "Religion": 85,
        "Restaurant": 1811,
        "School": 8893,
        "Security": 3247,
        "Security Ministries": 1974,
        "Self-employed": 38412,
        "Services": 1575,
        "Telecom": 577,
        "Trade: type 1": 348,
        "Trade: type 2": 1900,
        "Trade: type 3": 3492,
        "Trade: type 4": 64,
        "Trade: type 5": 49,
        "Trade: type 6": 631,
        "Trade: type 7": 7831,
        "Transport: type 1": 201,
        "Transport: type 2": 2204,
        "Transport: type 3": 1187,
        "Transport: type 4": 5398,
        "University": 1327,
    },
    "FONDKAPREMONT_MODE": {
        "reg oper account": 2449,
        "reg oper spec account": 395,
        "org spec account": 190,
        "not specified": 180,
    },
    "HOUSETYPE_MODE": {
        "block of flats": 4902,
        "terraced house": 44,
        "specific housing": 43,
    },
    "WALLSMATERIAL_MODE": {
        "Panel": 2154,
        "Stone, brick": 2132,
        "Block": 307,
        "Wooden": 168,
        "Mixed": 79,
        "Monolithic": 47,
        "Others": 46,
    },
    "EMERGENCYSTATE_MODE": {"No": 159428, "Yes": 2328},
}
"""Columns drawn straight from these counts accept a ``category_share`` drift."""

# Among the employed; pensioners and the unemployed are decided by age.
WORKING_INCOME_TYPE_COUNTS = {
    "Working": 158774,
    "Commercial associate": 71617,
    "State servant": 21703,
    "Student": 18,
    "Businessman": 10,
    "Maternity leave": 5,
    "Unemployed": 22,
}

# Shares of applicants with 0, 1, ..., 6 children before the age rule thins them.
CHILDREN_SHARES = (0.7, 0.199, 0.087, 0.012, 0.0015, 0.0004, 0.0001)

# Missing shares of string columns that are not missing by construction.
APPLICATION_MISSING_RATES = {"NAME_TYPE_SUITE": 0.0042}

# Building statistics: (share present, kind, parameters) of the _AVG form.
# kind "lognormal": median, log-sd; "zero_lognormal": share of zeros, median, log-sd;
# "one_minus_lognormal": 1 - lognormal(median, log-sd); "normal": mean, sd;
# "grid": the denominator n of the k/n values (shares of k in BUILDING_GRID_SHARES).
BUILDING_STATISTICS: dict[str, tuple[float, str, tuple[float, ...]]] = {
    "APARTMENTS": (0.4925, "lognormal", (0.0876, 0.7)),
    "BASEMENTAREA": (0.4148, "lognormal", (0.0763, 0.68)),
    "YEARS_BEGINEXPLUATATION": (0.5122, "one_minus_lognormal", (0.0184, 0.4)),
    "YEARS_BUILD": (0.335, "normal", (0.7525, 0.1)),
    "COMMONAREA": (0.3013, "lognormal", (0.0211, 1.4)),
    "ELEVATORS": (0.467, "zero_lognormal", (0.52, 0.14, 0.7)),
    "ENTRANCES": (0.4965, "grid", (29,)),
    "FLOORSMAX": (0.5024, "grid", (24,)),
    "FLOORSMIN": (0.3215, "grid", (24,)),
    "LANDAREA": (0.4062, "lognormal", (0.0481, 1.1)),
    "LIVINGAPARTMENTS": (0.3165, "lognormal", (0.0756, 0.65)),
    "LIVINGAREA": (0.4981, "lognormal", (0.0745, 0.78)),
    "NONLIVINGAPARTMENTS": (0.3057, "zero_lognormal", (0.7, 0.008, 1.3)),
    "NONLIVINGAREA": (0.4482, "zero_lognormal", (0.45, 0.02, 1.4)),
}
BUILDING_SUMMARY_PRESENT = {
    "TOTALAREA_MODE": 0.5173,
    "FONDKAPREMONT_MODE": 0.3161,
    "HOUSETYPE_MODE": 0.4982,
    "WALLSMATERIAL_MODE": 0.4916,
    "EMERGENCYSTATE_MODE": 0.526,
}
# Share of applicants whose building is described at all; every building column is
# present only inside this block, so the block goes missing together.
BUILDING_BLOCK_SHARE = 0.535
# Statistics that grow with the size of the building share one latent factor.
BUILDING_SIZE_LOADINGS = {
    "APARTMENTS": 0.9,
    "LIVINGAPARTMENTS": 0.9,
    "LIVINGAREA": 0.9,
    "BASEMENTAREA": 0.6,
    "ELEVATORS": 0.6,
    "ENTRANCES": 0.5,
    "FLOORSMAX": 0.6,
    "FLOORSMIN": 0.6,
    "NONLIVINGAREA": 0.3,
}
# Shares of k = 0, 1, ... for the statistics on a k/n grid: a few dozen values with
# the real quartiles on them (FLOORSMAX: a quarter or more at 4/24, its two lower
# quartiles; FLOORSMIN and ENTRANCES cut exactly at theirs).
BUILDING_GRID_SHARES = {
    "ENTRANCES": (
        *(0.012, 0.148, 0.09, 0.13, 0.12, 0.13, 0.12, 0.08, 0.055, 0.04),
        *(0.025, 0.017, 0.01, 0.006, 0.004, 0.003, 0.002, 0.001, 0.001, 0.001),
        *(0.0,) * 9,
        0.005,
    ),
    "FLOORSMAX": (
        *(0.015, 0.025, 0.09, 0.115, 0.265, 0.06, 0.07, 0.075, 0.197, 0.025),
        *(0.02, 0.012, 0.01, 0.006, 0.004, 0.003, 0.002, 0.001),
        *(0.0005,) * 6,
        0.002,
    ),
    "FLOORSMIN": (
        *(0.02, 0.03, 0.2, 0.1, 0.1, 0.06, 0.05, 0.05, 0.06, 0.13),
        *(0.05, 0.04, 0.04, 0.025, 0.015, 0.01, 0.008, 0.005, 0.002),
        *(0.0005,) * 5,
        0.0025,
    ),
}
# Areas recorded as zero: the lowest values of the size latent, below the lower
# quartile, so the quartiles stay where they are.
BUILDING_ZERO_SHARES = {
    "BASEMENTAREA": 0.12,
    "COMMONAREA": 0.12,
    "LANDAREA": 0.12,
    "LIVINGAREA": 0.12,
    "TOTALAREA_MODE": 0.12,
}
# The _MODE and _MEDI forms: the _AVG value with this relative noise, or on a grid
# this chance of the next value up or down.
BUILDING_FORM_NOISE = {"MODE": 0.05, "MEDI": 0.02}
# Missingness is nested: inside the block, an applicant's level of detail decides
# which columns are present (the commonest first). A few partial patterns break the
# nesting: among the fully described, a share lacks one of these columns instead.
BUILDING_WHOLE_BLOCK_SHARE = 0.26
BUILDING_HOLE_COLUMNS = ("FONDKAPREMONT_MODE", "LIVINGAPARTMENTS", "FLOORSMIN")
# Whether the building is described at all: more often for higher incomes (per sd
# of the log income) and in better-rated regions (per rating step, 1 the best).
BUILDING_BLOCK_INCOME_LOADING = 0.15
BUILDING_BLOCK_RATING_LOADING = -0.15

# Contact flags, independent of everything else.
CONTACT_FLAG_RATES = {
    "FLAG_MOBIL": 0.999997,
    "FLAG_CONT_MOBILE": 0.998133,
    "FLAG_PHONE": 0.281066,
    "FLAG_EMAIL": 0.05672,
}
# Share of applicants with an employer (FLAG_EMP_PHONE's mean): the work-place
# flags exist only for them.
EMPLOYED_SHARE = 0.819889
# Means of REG_{level}_NOT_WORK_{level} and REG_{level}_NOT_LIVE_{level}: a
# registered address away from the work place, and away from home. Where one is,
# the other often is too (correlation 0.45 at both levels).
REGISTERED_AWAY_RATES = {"REGION": (0.050769, 0.015144), "CITY": (0.230454, 0.078173)}
REGISTERED_AWAY_CORRELATION = 0.45
# FLAG_DOCUMENT_3, 6 and 8 are alternatives: an applicant hands in at most one of
# them (about -0.48 between them). Document 6 goes with having no employer
# (correlation -0.58 with FLAG_EMP_PHONE); document 8 and handing in none of the
# three are as common with an employer as without.
ALTERNATIVE_DOCUMENTS = (3, 6, 8)
EMPLOYED_DOCUMENT_6_CORRELATION = -0.58
DOCUMENT_FLAG_RATES = {
    2: 4.2e-05,
    3: 0.710023,
    4: 8.1e-05,
    5: 0.015115,
    6: 0.088055,
    7: 0.000192,
    8: 0.081376,
    9: 0.003896,
    10: 2.3e-05,
    11: 0.003912,
    12: 7e-06,
    13: 0.003525,
    14: 0.002936,
    15: 0.00121,
    16: 0.009928,
    17: 0.000267,
    18: 0.00813,
    19: 0.000595,
    20: 0.000507,
    21: 0.000335,
}
CREDIT_BUREAU_MEANS = {
    "HOUR": 0.0064,
    "DAY": 0.007,
    "WEEK": 0.0344,
    "MON": 0.267,
    "QRT": 0.265,
    "YEAR": 1.9,
}
# Share of applicants without credit bureau requests; every one of them also lacks
# EXT_SOURCE_3, as in the real data.
CREDIT_BUREAU_MISSING = 0.135

# (min, 25%, 50%, 75%, max) of the real data, for the quantile maps of
# ``columns.from_knots``.
AGE_DAYS_KNOTS = (7489, 12413, 15750, 19682, 25229)
REGISTRATION_DAYS_KNOTS = (0, 2010, 4504, 7479.5, 24672)
ID_PUBLISH_DAYS_KNOTS = (0, 1720, 3254, 4299, 7197)
PHONE_CHANGE_DAYS_KNOTS = (0, 274, 757, 1570, 4292)
POPULATION_KNOTS = (0.00029, 0.010006, 0.01885, 0.028663, 0.072508)
# Cash loans' credit: with the revolving loans' smaller credits added, the whole
# AMT_CREDIT column has the real quartiles.
CASH_CREDIT_KNOTS = (45000, 294500, 563500, 838000, 4050000)
# Rates (lower, upper) of the outer quarters' truncated exponential shapes (0:
# linear), fitted to the real mean and standard deviation. Where the real share
# beyond a threshold is known, the upper rates are fitted to it instead
# (EXT_SOURCE_2 above 0.75: 4.7%; EXT_SOURCE_3 above 0.8: 3.6%) and the lower one
# to the mean. The ages' rates put applicants under 25 and over 65 at 4.0% and
# 2.6%: between a half and a third of what linear tails gave, as the real data
# has them. The credit's
# fit gives the real 0.7% of credits above 2M; about 1% of the registration and ID
# dates lie in their old tails, as in the real data.
AGE_DAYS_TAILS = (1.84, 2.13)
REGISTRATION_DAYS_TAILS = (-0.35, 7.54)
ID_PUBLISH_DAYS_TAILS = (0.46, 5.84)
PHONE_CHANGE_DAYS_TAILS = (-4.73, 4.77)
POPULATION_TAILS = (0.37, 3.49)
CASH_CREDIT_TAILS = (2.0, 9.47)
EXT_SOURCE_TAILS = {
    "EXT_SOURCE_1": (2.19, 2.22),
    "EXT_SOURCE_2": (1.74, 3.41),
    "EXT_SOURCE_3": (2.40, 2.84),
}
EXT_SOURCE_KNOTS = {
    "EXT_SOURCE_1": (0.014568, 0.334007, 0.505998, 0.675053, 0.962693),
    "EXT_SOURCE_2": (8.17e-08, 0.3924574, 0.5659614, 0.6636171, 0.8549997),
    "EXT_SOURCE_3": (0.000527, 0.37065, 0.535276, 0.669057, 0.89601),
}
EXT_SOURCE_MISSING = {
    "EXT_SOURCE_1": 0.564,
    "EXT_SOURCE_2": 0.0021,
    "EXT_SOURCE_3": 0.19,
}
# Loadings of each score's latent on (age, common creditworthiness) giving pairwise
# correlations about 0.21 / 0.19 / 0.11 and 0.60 between EXT_SOURCE_1 and age.
EXT_SOURCE_LOADINGS = {
    "EXT_SOURCE_1": (0.6, 0.345),
    "EXT_SOURCE_2": (0.09, 0.452),
    "EXT_SOURCE_3": (0.2, 0.203),
}

# Applicants live in a fixed set of regions, each with its own
# REGION_POPULATION_RELATIVE, spread along the quantile map above. The most
# populous regions rate 1, the least populous 3: each rating's profile mean and
# standard deviation give its shares of applicants.
REGION_COUNT = 89
REGION_RATING_MEAN_SD = {
    "REGION_RATING_CLIENT": (2.052463, 0.509034),
    "REGION_RATING_CLIENT_W_CITY": (2.031521, 0.502737),
}
# Round amounts: each step's share of the rows that are whole multiples of it,
# finest first (the rest are exact). Incomes: 98.6% on 2,250, three in four on
# 22,500. Goods prices: 99.8% on 4,500; the coarser steps are a choice that
# piles the prices up on the commonest real values (225,000, 450,000, ...).
INCOME_STEP_SHARES = {2250: 0.986, 22500: 0.75}
GOODS_PRICE_STEP_SHARES = {4500: 0.998, 45000: 0.75, 225000: 0.2}

PREVIOUS_CATEGORY_COUNTS: dict[str, dict[str, float]] = {
    "WEEKDAY_APPR_PROCESS_START": {
        "FRIDAY": 1582,
        "WEDNESDAY": 1523,
        "THURSDAY": 1482,
        "MONDAY": 1478,
        "TUESDAY": 1462,
        "SATURDAY": 1443,
        "SUNDAY": 1030,
    },
    "NAME_TYPE_SUITE": {
        "Unaccompanied": 3065,
        "Family": 1294,
        "Spouse, partner": 407,
        "Children": 203,
        "Other_B": 114,
        "Other_A": 54,
        "Group of people": 15,
    },
    "CASH_LOAN_PURPOSE": {
        "Repairs": 140,
        "Other": 83,
        "Urgent needs": 62,
        "Everyday expenses": 19,
        "Education": 16,
        "Buying a used car": 14,
        "Medicine": 13,
        "Payments on other loans": 13,
        "Building a house or an annex": 12,
        "Journey": 12,
        "Purchase of electronic equipment": 7,
        "Buying a new car": 7,
        "Buying a holiday home / land": 7,
        "Car repairs": 5,
        "Wedding / gift / holiday": 5,
        "Furniture": 4,
        "Buying a home": 3,
        "Business development": 2,
        "Buying a garage": 1,
        "Hobby": 1,
        "Gasification / water supply": 1,
        "Money for a third person": 0.5,
        "Refusal to name the goal": 0.5,
    },
    "GOODS_CATEGORY": {
        "Mobile": 1391,
        "Consumer Electronics": 854,
        "Computers": 660,
        "Audio/Video": 647,
        "Furniture": 355,
        "Construction Materials": 174,
        "Photo / Cinema Equipment": 146,
        "Clothing and Accessories": 132,
        "Auto Accessories": 46,
        "Homewares": 31,
        "Sport and Leisure": 24,
        "Office Appliances": 24,
        "Medical Supplies": 23,
        "Jewelry": 21,
        "Gardening": 18,
        "Other": 16,
        "Medicine": 15,
        "Vehicles": 15,
        "Tourism": 8,
        "Education": 4,
        "Direct Sales": 4,
        "Fitness": 4,
        "Insurance": 1,
        "Weapon": 0.5,
        "Additional Service": 0.5,
        "House Construction": 0.5,
        "Animals": 0.5,
    },
    "REJECT_REASON": {
        "HC": 1067,
        "LIMIT": 356,
        "SCO": 244,
        "SCOFR": 73,
        "XNA": 35,
        "VERIF": 19,
        "SYSTEM": 2,
    },
    "YIELD_GROUP": {
        "middle": 2366,
        "high": 2189,
        "low_normal": 1917,
        "low_action": 583,
    },
    "CONTRACT_TYPE": {
        "Consumer loans": 4685,
        "Cash loans": 4170,
        "Revolving loans": 1143,
        "XNA": 2,
    },
    "PAYMENT_TYPE": {
        "Cash through the bank": 6443,
        "Non-cash from your account": 66,
        "Cashless from the account of the employer": 9,
    },
    # Point-of-sale loans come through shops, the others through the lender's own.
    "CONSUMER_CHANNEL_TYPE": {
        "Country-wide": 3186,
        "Stone": 1379,
        "Regional / Local": 681,
        "Car dealer": 3,
    },
    "OTHER_CHANNEL_TYPE": {
        "Credit and cash offices": 4202,
        "AP+ (Cash loan)": 354,
        "Contact center": 143,
        "Channel of corporate sales": 52,
    },
}
# Goods category -> seller industry and point-of-sale product line.
GOODS_SELLER_INDUSTRY = {
    "Mobile": "Connectivity",
    "Furniture": "Furniture",
    "Construction Materials": "Construction",
    "Clothing and Accessories": "Clothing",
    "Auto Accessories": "Auto technology",
    "Jewelry": "Jewelry",
    "Tourism": "Tourism",
    "Gardening": "Industry",
    "Homewares": "Industry",
    "Direct Sales": "MLM partners",
}
GOODS_POS_LINE = {
    "Mobile": "mobile",
    "Consumer Electronics": "household",
    "Computers": "household",
    "Audio/Video": "household",
    "Photo / Cinema Equipment": "household",
    "Furniture": "industry",
    "Construction Materials": "industry",
    "Auto Accessories": "industry",
    "Gardening": "industry",
    "Homewares": "household",
}

# --- Previous applications: status, terms, schedule, seller place --------------
#
# Status by contract type. Fixed: the linked table's status mix (62.68% Approved,
# 18.35% Canceled, 17.36% Refused, 1.61% Unused offer) and the contract types of
# ``PREVIOUS_CATEGORY_COUNTS``. Where the cancellations fall follows from the other
# columns of the public sample: a canceled request never got terms, and the 20.85%
# of rows without terms (AMT_ANNUITY and CNT_PAYMENT missing, NAME_PORTFOLIO XNA)
# are 5.3% of the consumer loans (not POS), 37.2% of the cash loans (not Cash),
# 24.8% of the revolving ones (not Cards) and both XNA rows. So at most 5.3% of
# consumer loans are canceled (taken as all of them) and XNA always; 22% of the
# revolving loans then leave 32.0% of the cash loans to make the table's 18.35%,
# and the other rows without terms are refusals (2.5% of the table: cash and
# revolving refusals, as split below). Unused offers are mostly point-of-sale
# offers not taken (3% of consumer loans, 0.4% of the others). Refusals: 10% of
# consumer loans, decided in the shop, and 28% of revolving loans; cash loans take
# the rest of the table's 17.36%: 22.7%. Approved is what remains. The table-wide
# mix (63% approved, 18% canceled) is thus the average of very different products.
PREVIOUS_STATUS_SHARES_BY_TYPE: dict[str, dict[str, float]] = {
    "Consumer loans": {
        "Approved": 0.817,
        "Refused": 0.100,
        "Canceled": 0.053,
        "Unused offer": 0.030,
    },
    "Cash loans": {
        "Approved": 0.449,
        "Refused": 0.227,
        "Canceled": 0.320,
        "Unused offer": 0.004,
    },
    "Revolving loans": {
        "Approved": 0.496,
        "Refused": 0.280,
        "Canceled": 0.220,
        "Unused offer": 0.004,
    },
    "XNA": {"Approved": 0.0, "Refused": 0.0, "Canceled": 1.0, "Unused offer": 0.0},
}
# Refusals follow the client's true risk: log-odds = intercept + type shift
# + 0.9 * risk + noise. The shifts give each type its refusal share above
# (calibrated at full scale); a type without a shift is never refused.
PREVIOUS_REFUSAL_INTERCEPT = -1.9
PREVIOUS_REFUSAL_TYPE_SHIFT = {
    "Consumer loans": -0.69,
    "Cash loans": 0.43,
    "Revolving loans": 0.74,
}
PREVIOUS_REFUSED_WITHOUT_TERMS_SHARE = {"Cash loans": 0.23, "Revolving loans": 0.10}

# CNT_PAYMENT: months of the loan, drawn from each product's grid (relative
# frequencies). Cards have no fixed term (0); rows without terms have none
# (missing: 20.85%, as AMT_ANNUITY). With cards' zeros the column has the sample's
# quartiles 6 / 12 / 18, mean 15.4 (real 15.6), standard deviation 13.9 (14.0),
# 26 distinct values and the real order of the commonest: 12, 6, 0, 10, 24, 18.
PREVIOUS_PAYMENT_COUNT_SHARES: dict[str, dict[int, float]] = {
    "Consumer loans": {
        12: 27, 6: 21, 10: 17, 18: 6.5, 24: 6, 8: 4.5, 4: 4, 14: 1.5, 16: 1.2,
        36: 1.2, 5: 1, 30: 0.8, 20: 0.8, 7: 0.6, 9: 0.6, 3: 0.6, 15: 0.5, 11: 0.4,
        13: 0.3, 22: 0.2, 2: 0.1,
    },
    "Cash loans": {
        12: 31, 24: 20, 36: 15, 60: 11, 48: 9, 18: 6, 6: 3, 10: 2.5, 30: 1.2,
        42: 0.9, 54: 0.5,
    },
}  # fmt: skip
# AMT_ANNUITY is the level monthly payment of AMT_CREDIT over CNT_PAYMENT months
# at a yearly rate drawn per loan within its yield group's range; "low_action" is
# the (nearly) interest-free point-of-sale offer. Cards ask a share of the limit.
PREVIOUS_YEARLY_RATE_RANGES = {
    "low_action": (0.0, 0.05),
    "low_normal": (0.10, 0.16),
    "middle": (0.16, 0.24),
    "high": (0.24, 0.32),
}
PREVIOUS_CARD_MINIMUM_PAYMENT_SHARE = 0.05

# The 365243 sentinel among the approved rows' day columns. A column's profile mean
# is share * 365243 + (1 - share) * (mean of its dated rows): dated rows between
# the column's minimum and 0 bound the share to within 0.7 points, and the
# profile's standard deviation (the dated rows' spread from the quartiles) pins
# it. The quartiles agree: DAYS_FIRST_DRAWING's first quartile is 365243 (share
# at least 75%), the others' third quartiles are dates (under 25%).
PREVIOUS_DAY_SENTINEL_SHARES = {
    "DAYS_FIRST_DRAWING": 0.942,
    "DAYS_FIRST_DUE": 0.043,
    "DAYS_LAST_DUE_1ST_VERSION": 0.089,
    "DAYS_LAST_DUE": 0.212,
    "DAYS_TERMINATION": 0.226,
}
# What produces those shares: an approved card (about 9% of the approved rows) has
# no planned end; some cards are never billed, most are drawn on; a loan still
# running today stays open (its last due date the sentinel) unless repaid early;
# the contract is terminated some days after the last due date (the sentinel if
# that is still to come). Calibrated at full scale. How many loans still run
# depends on how far back the approvals go: the decision days below.
PREVIOUS_CARD_NEVER_BILLED_SHARE = 0.465
PREVIOUS_CARD_DRAWN_SHARE = 0.623
PREVIOUS_RUNNING_LOAN_OPEN_SHARE = 0.55
PREVIOUS_TERMINATION_DELAY_DAYS = 35
# Days before the application of the decision: (median, log-sd) of a lognormal.
# Approved loans' first due dates (a month after the decision) have a median of
# -812 days; the other decisions are recent enough that the whole column keeps its
# quartiles -1348 / -600 / -294.
PREVIOUS_DECISION_DAYS = {"Approved": (845.0, 0.9), "other": (320.0, 1.1)}

# SELLERPLACE_AREA: never missing, -1 where there is no seller. Quartiles -1 / 10 /
# 100 put the -1 rows between 25% and 50% of the table: -1 for most rows outside
# shops (44% of the table); few zeros; shops' areas lognormal with the median and
# third quartile of the sample; the maximum 4,000,000 is a code that the sample's
# mean and standard deviation put at one row in 10,000.
PREVIOUS_SELLER_PLACE = {
    "median": 89.0,
    "log_sd": 1.45,
    "none_elsewhere": 0.82,
    "zero_elsewhere": 0.04,
    "zero_at_seller": 0.015,
    "code": 4_000_000.0,
    "code_share": 1e-4,
}

PREVIOUS_PER_APPLICANT = 4.86
SHARE_WITH_HISTORY = 0.9465
# Applicants of other portfolios (not in the application table) with history too.
ORPHAN_CLIENT_SHARE = 0.1585
