"""Payroll CSV exports of staffing agencies, read through one mapping profile per agency."""

from adapters.payroll_csv.adapter import PayrollCsvAdapter, read_rows
from adapters.payroll_csv.mapper import RowMapper, RowOutcome, mask_value
from adapters.payroll_csv.profile import (
    SHIPPED_PROFILES,
    AgencyProfile,
    ProfileError,
    load_profile,
    load_profiles,
)
from adapters.payroll_csv.reader import CsvFileError, CsvRows, RawRow

adapter = PayrollCsvAdapter()

__all__ = [
    "SHIPPED_PROFILES",
    "AgencyProfile",
    "CsvFileError",
    "CsvRows",
    "PayrollCsvAdapter",
    "ProfileError",
    "RawRow",
    "RowMapper",
    "RowOutcome",
    "adapter",
    "load_profile",
    "load_profiles",
    "mask_value",
    "read_rows",
]
