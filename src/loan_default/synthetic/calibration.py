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
# file); a batch of new applicants starts at 500000 and its SK_ID_PREV at ten times
# its first id, above any training population's.
FIRST_TRAINING_ID = 100_002
FIRST_PREVIOUS_ID = 1_000_001
NEW_PREVIOUS_ID_FACTOR = 10
NEW_APPLICATIONS_FIRST_ID = 500_000

# Fixed so that the reference population defaults at 8.07% (calibrated at full scale);
# a drifted batch therefore defaults at a different rate, as real drift does.
DEFAULT_INTERCEPT = -1.22
# Weight of the external scores' risk in the log-odds: with the scores the strongest
# signal, as in the real data, the oracle AUC is about 0.79.
SCORE_RISK_WEIGHT = 1.35
# Centre and spread of the score risk in the reference population, so that the
# refusal history reflects a standardised risk whatever the batch.
SCORE_RISK_MEAN = -1.58
SCORE_RISK_SD = 0.7
# Pension score (age minus retirement age plus noise) above which one is retired.
PENSION_THRESHOLD = 1.3

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
# "steps": step size, mean number of steps.
BUILDING_STATISTICS: dict[str, tuple[float, str, tuple[float, ...]]] = {
    "APARTMENTS": (0.4925, "lognormal", (0.0876, 0.7)),
    "BASEMENTAREA": (0.4148, "lognormal", (0.0763, 0.68)),
    "YEARS_BEGINEXPLUATATION": (0.5122, "one_minus_lognormal", (0.0184, 0.4)),
    "YEARS_BUILD": (0.335, "normal", (0.7525, 0.1)),
    "COMMONAREA": (0.3013, "lognormal", (0.0211, 1.4)),
    "ELEVATORS": (0.467, "zero_lognormal", (0.52, 0.14, 0.7)),
    "ENTRANCES": (0.4965, "steps", (0.0345, 3.3)),
    "FLOORSMAX": (0.5024, "steps", (0.0417, 4.4)),
    "FLOORSMIN": (0.3215, "steps", (0.0417, 4.6)),
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

# Contact and address flags, independent of everything else.
CONTACT_AND_ADDRESS_FLAG_RATES = {
    "FLAG_MOBIL": 0.999997,
    "FLAG_CONT_MOBILE": 0.998133,
    "FLAG_PHONE": 0.281066,
    "FLAG_EMAIL": 0.05672,
    "REG_REGION_NOT_LIVE_REGION": 0.015144,
    "REG_CITY_NOT_LIVE_CITY": 0.078173,
}
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

# (min, 25%, 50%, 75%, max) of the real data, for the piecewise-linear quantile maps.
AGE_DAYS_KNOTS = (7489, 12413, 15750, 19682, 25229)
REGISTRATION_DAYS_KNOTS = (0, 2010, 4504, 7479.5, 24672)
ID_PUBLISH_DAYS_KNOTS = (0, 1720, 3254, 4299, 7197)
PHONE_CHANGE_DAYS_KNOTS = (0, 274, 757, 1570, 4292)
POPULATION_KNOTS = (0.00029, 0.010006, 0.01885, 0.028663, 0.072508)
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
PREVIOUS_STATUS_SHARES = {"Approved": 0.63, "Canceled": 0.18, "Unused offer": 0.016}
PREVIOUS_REFUSAL_INTERCEPT = -1.9
PREVIOUS_PER_APPLICANT = 4.86
SHARE_WITH_HISTORY = 0.9465
# Applicants of other portfolios (not in the application table) with history too.
ORPHAN_CLIENT_SHARE = 0.1585
