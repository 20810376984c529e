"""The one description of the raw Kaggle "Loan Defaulter" tables.

Column names and order, dtypes, allowed category values and value ranges of
``application_data.csv`` (122 columns) and ``previous_application.csv`` (37 columns),
exactly as the real files have them. Raw-data validation, the synthetic generator and
the API's request model all read this module; nothing else lists raw columns.

Ranges are semantic (a day count before the application is never positive, an
amount is never negative, a score lies in [0, 1]) rather than the observed extremes,
so a new month of real applications is not rejected for an unusually high income.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAYS_EMPLOYED_SENTINEL = 365243
"""The value the real data uses for "not employed" (pensioners and unemployed)."""

MISSING_CATEGORY = "XNA"
"""The real data's spelling of "not available" inside text columns."""

AMOUNT_MAXIMUM = 1e9
"""The largest money amount accepted: a billion, 8 times the largest income and 140
times the largest credit in the real files. Beyond it a value is a typing or export
error, and sums and ratios of amounts stay far inside the float32 range models read."""

DAYS_MINIMUM = -36_525
"""Day counts go back at most a hundred years before the application."""
COUNT_MAXIMUM = 10_000
"""People, enquiries and years counted per applicant stay far below this; the
bound only refuses values no record can hold (the real data's largest is 348)."""

FLOAT32_MAXIMUM = float(np.finfo(np.float32).max)
"""Every number must fit float32: the models read their input as float32."""
INT64 = np.iinfo(np.int64)
"""Whole-number columns (ids, counts) are int64."""


@dataclass(frozen=True)
class ColumnSpec:
    """One raw column: its dtype and the values it may take.

    ``dtype`` is ``"int64"``, ``"float64"`` or ``"string"``. Integer columns may
    still hold missing values in a new file; they are typed as nullable integers.
    """

    name: str
    dtype: str
    categories: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    sentinel: int | None = None
    required: bool = False

    @property
    def is_numeric(self) -> bool:
        return self.dtype in ("int64", "float64")


@dataclass(frozen=True)
class TableSchema:
    """A raw table: its file name, its key and its columns in the real file's order."""

    name: str
    filename: str
    key: str
    columns: tuple[ColumnSpec, ...]

    def __post_init__(self) -> None:
        # A lookup table beside the fields: membership tests run on every request.
        by_name = {column.name: column for column in self.columns}
        object.__setattr__(self, "_by_name", by_name)

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def __getitem__(self, name: str) -> ColumnSpec:
        spec = self._by_name.get(name)
        if spec is None:
            raise KeyError(f"{self.filename} has no column {name!r}")
        return spec

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def columns_of(self, dtype: str) -> list[str]:
        return [column.name for column in self.columns if column.dtype == dtype]


def _with_required(columns: list[ColumnSpec], required: set[str]) -> tuple:
    return tuple(
        ColumnSpec(**{**column.__dict__, "required": column.name in required})
        for column in columns
    )


APPLICATION = TableSchema(
    name="application",
    filename="application_data.csv",
    key="SK_ID_CURR",
    columns=_with_required(
        [
            ColumnSpec("SK_ID_CURR", "int64", minimum=1),
            ColumnSpec("TARGET", "int64", minimum=0, maximum=1),
            ColumnSpec(
                "NAME_CONTRACT_TYPE",
                "string",
                categories=("Cash loans", "Revolving loans"),
            ),
            ColumnSpec("CODE_GENDER", "string", categories=("F", "M", "XNA")),
            ColumnSpec("FLAG_OWN_CAR", "string", categories=("N", "Y")),
            ColumnSpec("FLAG_OWN_REALTY", "string", categories=("N", "Y")),
            ColumnSpec("CNT_CHILDREN", "int64", minimum=0, maximum=COUNT_MAXIMUM),
            ColumnSpec(
                "AMT_INCOME_TOTAL", "float64", minimum=0, maximum=AMOUNT_MAXIMUM
            ),
            ColumnSpec("AMT_CREDIT", "float64", minimum=0, maximum=AMOUNT_MAXIMUM),
            ColumnSpec("AMT_ANNUITY", "float64", minimum=0, maximum=AMOUNT_MAXIMUM),
            ColumnSpec("AMT_GOODS_PRICE", "float64", minimum=0, maximum=AMOUNT_MAXIMUM),
            ColumnSpec(
                "NAME_TYPE_SUITE",
                "string",
                categories=(
                    "Children",
                    "Family",
                    "Group of people",
                    "Other_A",
                    "Other_B",
                    "Spouse, partner",
                    "Unaccompanied",
                ),
            ),
            ColumnSpec(
                "NAME_INCOME_TYPE",
                "string",
                categories=(
                    "Businessman",
                    "Commercial associate",
                    "Maternity leave",
                    "Pensioner",
                    "State servant",
                    "Student",
                    "Unemployed",
                    "Working",
                ),
            ),
            ColumnSpec(
                "NAME_EDUCATION_TYPE",
                "string",
                categories=(
                    "Academic degree",
                    "Higher education",
                    "Incomplete higher",
                    "Lower secondary",
                    "Secondary / secondary special",
                ),
            ),
            ColumnSpec(
                "NAME_FAMILY_STATUS",
                "string",
                categories=(
                    "Civil marriage",
                    "Married",
                    "Separated",
                    "Single / not married",
                    "Unknown",
                    "Widow",
                ),
            ),
            ColumnSpec(
                "NAME_HOUSING_TYPE",
                "string",
                categories=(
                    "Co-op apartment",
                    "House / apartment",
                    "Municipal apartment",
                    "Office apartment",
                    "Rented apartment",
                    "With parents",
                ),
            ),
            ColumnSpec("REGION_POPULATION_RELATIVE", "float64", minimum=0, maximum=1),
            ColumnSpec("DAYS_BIRTH", "int64", minimum=DAYS_MINIMUM, maximum=0),
            ColumnSpec(
                "DAYS_EMPLOYED",
                "int64",
                minimum=DAYS_MINIMUM,
                maximum=0,
                sentinel=DAYS_EMPLOYED_SENTINEL,
            ),
            ColumnSpec("DAYS_REGISTRATION", "float64", minimum=DAYS_MINIMUM, maximum=0),
            ColumnSpec("DAYS_ID_PUBLISH", "int64", minimum=DAYS_MINIMUM, maximum=0),
            ColumnSpec("OWN_CAR_AGE", "float64", minimum=0, maximum=COUNT_MAXIMUM),
            ColumnSpec("FLAG_MOBIL", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_EMP_PHONE", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_WORK_PHONE", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_CONT_MOBILE", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_PHONE", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_EMAIL", "int64", minimum=0, maximum=1),
            ColumnSpec(
                "OCCUPATION_TYPE",
                "string",
                categories=(
                    "Accountants",
                    "Cleaning staff",
                    "Cooking staff",
                    "Core staff",
                    "Drivers",
                    "HR staff",
                    "High skill tech staff",
                    "IT staff",
                    "Laborers",
                    "Low-skill Laborers",
                    "Managers",
                    "Medicine staff",
                    "Private service staff",
                    "Realty agents",
                    "Sales staff",
                    "Secretaries",
                    "Security staff",
                    "Waiters/barmen staff",
                ),
            ),
            ColumnSpec("CNT_FAM_MEMBERS", "float64", minimum=1, maximum=COUNT_MAXIMUM),
            ColumnSpec("REGION_RATING_CLIENT", "int64", minimum=1, maximum=3),
            ColumnSpec("REGION_RATING_CLIENT_W_CITY", "int64", minimum=1, maximum=3),
            ColumnSpec(
                "WEEKDAY_APPR_PROCESS_START",
                "string",
                categories=(
                    "FRIDAY",
                    "MONDAY",
                    "SATURDAY",
                    "SUNDAY",
                    "THURSDAY",
                    "TUESDAY",
                    "WEDNESDAY",
                ),
            ),
            ColumnSpec("HOUR_APPR_PROCESS_START", "int64", minimum=0, maximum=23),
            ColumnSpec("REG_REGION_NOT_LIVE_REGION", "int64", minimum=0, maximum=1),
            ColumnSpec("REG_REGION_NOT_WORK_REGION", "int64", minimum=0, maximum=1),
            ColumnSpec("LIVE_REGION_NOT_WORK_REGION", "int64", minimum=0, maximum=1),
            ColumnSpec("REG_CITY_NOT_LIVE_CITY", "int64", minimum=0, maximum=1),
            ColumnSpec("REG_CITY_NOT_WORK_CITY", "int64", minimum=0, maximum=1),
            ColumnSpec("LIVE_CITY_NOT_WORK_CITY", "int64", minimum=0, maximum=1),
            ColumnSpec(
                "ORGANIZATION_TYPE",
                "string",
                categories=(
                    "Advertising",
                    "Agriculture",
                    "Bank",
                    "Business Entity Type 1",
                    "Business Entity Type 2",
                    "Business Entity Type 3",
                    "Cleaning",
                    "Construction",
                    "Culture",
                    "Electricity",
                    "Emergency",
                    "Government",
                    "Hotel",
                    "Housing",
                    "Industry: type 1",
                    "Industry: type 10",
                    "Industry: type 11",
                    "Industry: type 12",
                    "Industry: type 13",
                    "Industry: type 2",
                    "Industry: type 3",
                    "Industry: type 4",
                    "Industry: type 5",
                    "Industry: type 6",
                    "Industry: type 7",
                    "Industry: type 8",
                    "Industry: type 9",
                    "Insurance",
                    "Kindergarten",
                    "Legal Services",
                    "Medicine",
                    "Military",
                    "Mobile",
                    "Other",
                    "Police",
                    "Postal",
                    "Realtor",
                    "Religion",
                    "Restaurant",
                    "School",
                    "Security",
                    "Security Ministries",
                    "Self-employed",
                    "Services",
                    "Telecom",
                    "Trade: type 1",
                    "Trade: type 2",
                    "Trade: type 3",
                    "Trade: type 4",
                    "Trade: type 5",
                    "Trade: type 6",
                    "Trade: type 7",
                    "Transport: type 1",
                    "Transport: type 2",
                    "Transport: type 3",
                    "Transport: type 4",
                    "University",
                    "XNA",
                ),
            ),
            ColumnSpec("EXT_SOURCE_1", "float64", minimum=0, maximum=1),
            ColumnSpec("EXT_SOURCE_2", "float64", minimum=0, maximum=1),
            ColumnSpec("EXT_SOURCE_3", "float64", minimum=0, maximum=1),
            ColumnSpec("APARTMENTS_AVG", "float64", minimum=0, maximum=1),
            ColumnSpec("BASEMENTAREA_AVG", "float64", minimum=0, maximum=1),
            ColumnSpec("YEARS_BEGINEXPLUATATION_AVG", "float64", minimum=0, maximum=1),
            ColumnSpec("YEARS_BUILD_AVG", "float64", minimum=0, maximum=1),
            ColumnSpec("COMMONAREA_AVG", "float64", minimum=0, maximum=1),
            ColumnSpec("ELEVATORS_AVG", "float64", minimum=0, maximum=1),
            ColumnSpec("ENTRANCES_AVG", "float64", minimum=0, maximum=1),
            ColumnSpec("FLOORSMAX_AVG", "float64", minimum=0, maximum=1),
            ColumnSpec("FLOORSMIN_AVG", "float64", minimum=0, maximum=1),
            ColumnSpec("LANDAREA_AVG", "float64", minimum=0, maximum=1),
            ColumnSpec("LIVINGAPARTMENTS_AVG", "float64", minimum=0, maximum=1),
            ColumnSpec("LIVINGAREA_AVG", "float64", minimum=0, maximum=1),
            ColumnSpec("NONLIVINGAPARTMENTS_AVG", "float64", minimum=0, maximum=1),
            ColumnSpec("NONLIVINGAREA_AVG", "float64", minimum=0, maximum=1),
            ColumnSpec("APARTMENTS_MODE", "float64", minimum=0, maximum=1),
            ColumnSpec("BASEMENTAREA_MODE", "float64", minimum=0, maximum=1),
            ColumnSpec("YEARS_BEGINEXPLUATATION_MODE", "float64", minimum=0, maximum=1),
            ColumnSpec("YEARS_BUILD_MODE", "float64", minimum=0, maximum=1),
            ColumnSpec("COMMONAREA_MODE", "float64", minimum=0, maximum=1),
            ColumnSpec("ELEVATORS_MODE", "float64", minimum=0, maximum=1),
            ColumnSpec("ENTRANCES_MODE", "float64", minimum=0, maximum=1),
            ColumnSpec("FLOORSMAX_MODE", "float64", minimum=0, maximum=1),
            ColumnSpec("FLOORSMIN_MODE", "float64", minimum=0, maximum=1),
            ColumnSpec("LANDAREA_MODE", "float64", minimum=0, maximum=1),
            ColumnSpec("LIVINGAPARTMENTS_MODE", "float64", minimum=0, maximum=1),
            ColumnSpec("LIVINGAREA_MODE", "float64", minimum=0, maximum=1),
            ColumnSpec("NONLIVINGAPARTMENTS_MODE", "float64", minimum=0, maximum=1),
            ColumnSpec("NONLIVINGAREA_MODE", "float64", minimum=0, maximum=1),
            ColumnSpec("APARTMENTS_MEDI", "float64", minimum=0, maximum=1),
            ColumnSpec("BASEMENTAREA_MEDI", "float64", minimum=0, maximum=1),
            ColumnSpec("YEARS_BEGINEXPLUATATION_MEDI", "float64", minimum=0, maximum=1),
            ColumnSpec("YEARS_BUILD_MEDI", "float64", minimum=0, maximum=1),
            ColumnSpec("COMMONAREA_MEDI", "float64", minimum=0, maximum=1),
            ColumnSpec("ELEVATORS_MEDI", "float64", minimum=0, maximum=1),
            ColumnSpec("ENTRANCES_MEDI", "float64", minimum=0, maximum=1),
            ColumnSpec("FLOORSMAX_MEDI", "float64", minimum=0, maximum=1),
            ColumnSpec("FLOORSMIN_MEDI", "float64", minimum=0, maximum=1),
            ColumnSpec("LANDAREA_MEDI", "float64", minimum=0, maximum=1),
            ColumnSpec("LIVINGAPARTMENTS_MEDI", "float64", minimum=0, maximum=1),
            ColumnSpec("LIVINGAREA_MEDI", "float64", minimum=0, maximum=1),
            ColumnSpec("NONLIVINGAPARTMENTS_MEDI", "float64", minimum=0, maximum=1),
            ColumnSpec("NONLIVINGAREA_MEDI", "float64", minimum=0, maximum=1),
            ColumnSpec(
                "FONDKAPREMONT_MODE",
                "string",
                categories=(
                    "reg oper account",
                    "reg oper spec account",
                    "org spec account",
                    "not specified",
                ),
            ),
            ColumnSpec(
                "HOUSETYPE_MODE",
                "string",
                categories=("block of flats", "terraced house", "specific housing"),
            ),
            ColumnSpec("TOTALAREA_MODE", "float64", minimum=0, maximum=1),
            ColumnSpec(
                "WALLSMATERIAL_MODE",
                "string",
                categories=(
                    "Panel",
                    "Stone, brick",
                    "Block",
                    "Wooden",
                    "Mixed",
                    "Monolithic",
                    "Others",
                ),
            ),
            ColumnSpec("EMERGENCYSTATE_MODE", "string", categories=("No", "Yes")),
            ColumnSpec(
                "OBS_30_CNT_SOCIAL_CIRCLE", "float64", minimum=0, maximum=COUNT_MAXIMUM
            ),
            ColumnSpec(
                "DEF_30_CNT_SOCIAL_CIRCLE", "float64", minimum=0, maximum=COUNT_MAXIMUM
            ),
            ColumnSpec(
                "OBS_60_CNT_SOCIAL_CIRCLE", "float64", minimum=0, maximum=COUNT_MAXIMUM
            ),
            ColumnSpec(
                "DEF_60_CNT_SOCIAL_CIRCLE", "float64", minimum=0, maximum=COUNT_MAXIMUM
            ),
            ColumnSpec(
                "DAYS_LAST_PHONE_CHANGE", "float64", minimum=DAYS_MINIMUM, maximum=0
            ),
            ColumnSpec("FLAG_DOCUMENT_2", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_3", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_4", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_5", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_6", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_7", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_8", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_9", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_10", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_11", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_12", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_13", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_14", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_15", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_16", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_17", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_18", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_19", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_20", "int64", minimum=0, maximum=1),
            ColumnSpec("FLAG_DOCUMENT_21", "int64", minimum=0, maximum=1),
            ColumnSpec(
                "AMT_REQ_CREDIT_BUREAU_HOUR",
                "float64",
                minimum=0,
                maximum=COUNT_MAXIMUM,
            ),
            ColumnSpec(
                "AMT_REQ_CREDIT_BUREAU_DAY", "float64", minimum=0, maximum=COUNT_MAXIMUM
            ),
            ColumnSpec(
                "AMT_REQ_CREDIT_BUREAU_WEEK",
                "float64",
                minimum=0,
                maximum=COUNT_MAXIMUM,
            ),
            ColumnSpec(
                "AMT_REQ_CREDIT_BUREAU_MON", "float64", minimum=0, maximum=COUNT_MAXIMUM
            ),
            ColumnSpec(
                "AMT_REQ_CREDIT_BUREAU_QRT", "float64", minimum=0, maximum=COUNT_MAXIMUM
            ),
            ColumnSpec(
                "AMT_REQ_CREDIT_BUREAU_YEAR",
                "float64",
                minimum=0,
                maximum=COUNT_MAXIMUM,
            ),
        ],
        required={"SK_ID_CURR", "TARGET"},
    ),
)

PREVIOUS_APPLICATION = TableSchema(
    name="previous_application",
    filename="previous_application.csv",
    key="SK_ID_PREV",
    columns=_with_required(
        [
            ColumnSpec("SK_ID_PREV", "int64", minimum=1),
            ColumnSpec("SK_ID_CURR", "int64", minimum=1),
            ColumnSpec(
                "NAME_CONTRACT_TYPE",
                "string",
                categories=("Consumer loans", "Cash loans", "Revolving loans", "XNA"),
            ),
            ColumnSpec("AMT_ANNUITY", "float64", minimum=0, maximum=AMOUNT_MAXIMUM),
            ColumnSpec("AMT_APPLICATION", "float64", minimum=0, maximum=AMOUNT_MAXIMUM),
            ColumnSpec("AMT_CREDIT", "float64", minimum=0, maximum=AMOUNT_MAXIMUM),
            ColumnSpec(
                "AMT_DOWN_PAYMENT", "float64", minimum=-1.0, maximum=AMOUNT_MAXIMUM
            ),
            ColumnSpec("AMT_GOODS_PRICE", "float64", minimum=0, maximum=AMOUNT_MAXIMUM),
            ColumnSpec(
                "WEEKDAY_APPR_PROCESS_START",
                "string",
                categories=(
                    "FRIDAY",
                    "WEDNESDAY",
                    "THURSDAY",
                    "MONDAY",
                    "TUESDAY",
                    "SATURDAY",
                    "SUNDAY",
                ),
            ),
            ColumnSpec("HOUR_APPR_PROCESS_START", "int64", minimum=0, maximum=23),
            ColumnSpec("FLAG_LAST_APPL_PER_CONTRACT", "string", categories=("Y", "N")),
            ColumnSpec("NFLAG_LAST_APPL_IN_DAY", "int64", minimum=0, maximum=1),
            ColumnSpec("RATE_DOWN_PAYMENT", "float64", minimum=-0.001, maximum=1),
            ColumnSpec("RATE_INTEREST_PRIMARY", "float64", minimum=0, maximum=1),
            ColumnSpec("RATE_INTEREST_PRIVILEGED", "float64", minimum=0, maximum=1),
            ColumnSpec(
                "NAME_CASH_LOAN_PURPOSE",
                "string",
                categories=(
                    "XAP",
                    "XNA",
                    "Repairs",
                    "Other",
                    "Urgent needs",
                    "Everyday expenses",
                    "Education",
                    "Buying a used car",
                    "Medicine",
                    "Payments on other loans",
                    "Building a house or an annex",
                    "Journey",
                    "Purchase of electronic equipment",
                    "Buying a new car",
                    "Buying a holiday home / land",
                    "Car repairs",
                    "Wedding / gift / holiday",
                    "Furniture",
                    "Buying a home",
                    "Business development",
                    "Buying a garage",
                    "Hobby",
                    "Gasification / water supply",
                    "Money for a third person",
                    "Refusal to name the goal",
                ),
            ),
            ColumnSpec(
                "NAME_CONTRACT_STATUS",
                "string",
                categories=("Approved", "Refused", "Canceled", "Unused offer"),
            ),
            ColumnSpec("DAYS_DECISION", "int64", maximum=0),
            ColumnSpec(
                "NAME_PAYMENT_TYPE",
                "string",
                categories=(
                    "Cash through the bank",
                    "XNA",
                    "Non-cash from your account",
                    "Cashless from the account of the employer",
                ),
            ),
            ColumnSpec(
                "CODE_REJECT_REASON",
                "string",
                categories=(
                    "XAP",
                    "HC",
                    "LIMIT",
                    "SCO",
                    "CLIENT",
                    "SCOFR",
                    "XNA",
                    "VERIF",
                    "SYSTEM",
                ),
            ),
            ColumnSpec(
                "NAME_TYPE_SUITE",
                "string",
                categories=(
                    "Unaccompanied",
                    "Family",
                    "Spouse, partner",
                    "Children",
                    "Other_B",
                    "Other_A",
                    "Group of people",
                ),
            ),
            ColumnSpec(
                "NAME_CLIENT_TYPE",
                "string",
                categories=("Repeater", "New", "Refreshed", "XNA"),
            ),
            ColumnSpec(
                "NAME_GOODS_CATEGORY",
                "string",
                categories=(
                    "XNA",
                    "Mobile",
                    "Consumer Electronics",
                    "Computers",
                    "Audio/Video",
                    "Furniture",
                    "Construction Materials",
                    "Photo / Cinema Equipment",
                    "Clothing and Accessories",
                    "Auto Accessories",
                    "Homewares",
                    "Sport and Leisure",
                    "Office Appliances",
                    "Medical Supplies",
                    "Jewelry",
                    "Gardening",
                    "Other",
                    "Medicine",
                    "Vehicles",
                    "Tourism",
                    "Education",
                    "Direct Sales",
                    "Fitness",
                    "Insurance",
                    "Weapon",
                    "Additional Service",
                    "House Construction",
                    "Animals",
                ),
            ),
            ColumnSpec(
                "NAME_PORTFOLIO",
                "string",
                categories=("POS", "Cash", "XNA", "Cards", "Cars"),
            ),
            ColumnSpec(
                "NAME_PRODUCT_TYPE", "string", categories=("XNA", "x-sell", "walk-in")
            ),
            ColumnSpec(
                "CHANNEL_TYPE",
                "string",
                categories=(
                    "Credit and cash offices",
                    "Country-wide",
                    "Stone",
                    "Regional / Local",
                    "AP+ (Cash loan)",
                    "Contact center",
                    "Channel of corporate sales",
                    "Car dealer",
                ),
            ),
            ColumnSpec("SELLERPLACE_AREA", "int64", minimum=-1),
            ColumnSpec(
                "NAME_SELLER_INDUSTRY",
                "string",
                categories=(
                    "XNA",
                    "Consumer electronics",
                    "Connectivity",
                    "Furniture",
                    "Construction",
                    "Clothing",
                    "Industry",
                    "Auto technology",
                    "Jewelry",
                    "MLM partners",
                    "Tourism",
                ),
            ),
            ColumnSpec("CNT_PAYMENT", "float64", minimum=0),
            ColumnSpec(
                "NAME_YIELD_GROUP",
                "string",
                categories=("XNA", "middle", "high", "low_normal", "low_action"),
            ),
            ColumnSpec(
                "PRODUCT_COMBINATION",
                "string",
                categories=(
                    "POS household with interest",
                    "Cash",
                    "POS mobile with interest",
                    "Cash X-Sell: middle",
                    "Cash X-Sell: low",
                    "Card Street",
                    "POS industry with interest",
                    "POS household without interest",
                    "Card X-Sell",
                    "Cash Street: high",
                    "Cash X-Sell: high",
                    "Cash Street: middle",
                    "Cash Street: low",
                    "POS mobile without interest",
                    "POS other with interest",
                    "POS industry without interest",
                    "POS others without interest",
                ),
            ),
            ColumnSpec("DAYS_FIRST_DRAWING", "float64"),
            ColumnSpec("DAYS_FIRST_DUE", "float64"),
            ColumnSpec("DAYS_LAST_DUE_1ST_VERSION", "float64"),
            ColumnSpec("DAYS_LAST_DUE", "float64"),
            ColumnSpec("DAYS_TERMINATION", "float64"),
            ColumnSpec("NFLAG_INSURED_ON_APPROVAL", "float64", minimum=0, maximum=1),
        ],
        required={"SK_ID_PREV", "SK_ID_CURR"},
    ),
)

TARGET = "TARGET"
APPLICATION_ID = "SK_ID_CURR"
APPLICATION_FEATURE_COLUMNS = [
    name for name in APPLICATION.column_names if name not in (TARGET,)
]
"""The application columns a new applicant can send: everything but the label."""

TABLES = {table.name: table for table in (APPLICATION, PREVIOUS_APPLICATION)}
