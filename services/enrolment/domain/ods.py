"""Importing NHS ODS reference data: planning an import of `epcn.csv` (PCNs) and
`gp-reg-pat-prac-map.csv` (practices, and each PCN's region).

Pure: CSV text and what the database holds go in, a plan comes out; the store applies it.
A file with any bad row is refused whole, with every bad row named by file and line.
Rows that are well-formed but cannot be placed (a PCN no practice gives a region to, a
practice of an unknown PCN) are skipped and reported, because real ODS extracts carry closed
PCNs and are published on different days.

Who may change what (`verdict`): a region's PCNs and practices are its administrator's, and
the people registered with them go where they go. So a regional import creates and changes
rows of its own region only; rows wholly of other regions are left alone (counted as out of
scope, so the national file can be imported as it comes), and a row that would move a PCN or
practice into or out of the caller's region is refused, naming it, and nothing is imported.
The national team's import may create and change rows of every region and move a PCN or
practice between regions, except one that participants (or, for a PCN, offers) belong to:
moving it would hand those people's records to another region's administrator behind their
back and leave the region other services were told stale, so that is refused too.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from services.enrolment.domain.reference import (
    Pcn,
    Practice,
    validate_pcn_code,
    validate_practice_code,
    validate_region_code,
)
from shared.errors import DomainError, RuleViolation

EPCN, PRACTICE_MAP = "epcn_csv", "practice_map_csv"  # the two inputs, named as the API names them
MAP_COLUMNS = ("PRACTICE_CODE", "PCN_CODE", "COMM_REGION_CODE")
EPCN_COLUMNS = 6  # code, name, sub-ICB code, sub-ICB name, open date, close date (then address)
MAX_REPORTED_ROWS = 100
MAX_REPORTED_CHANGES = 500
# What a change report compares, and names, of a PCN and of a practice.
PCN_FIELDS = ("name", "sub_icb_code", "sub_icb_name", "region", "opened_on", "closed_on")
PRACTICE_FIELDS = ("name", "pcn_code")


@dataclass(frozen=True)
class RowNote:
    """A bad row (in an error) or a skipped one (in the report): where, and why."""

    file: str
    line: int
    reason: str


class RefusedRows(DomainError):
    """Rows that stop a whole import: `rows` names the first of them as [{field: the file, line, message}],
    which the answer lists as its errors."""

    def __init__(self, rule: str, why: str, problems: list[RowNote]):
        rows = [{"field": p.file, "line": p.line, "message": p.reason} for p in problems[:MAX_REPORTED_ROWS]]
        super().__init__(rule, f"{len(problems)} rows {why}; nothing was imported.", extra={"errors": rows})
        self.rows = rows


class InvalidOdsFile(RefusedRows):
    """Rows that cannot be read."""

    status = 422

    def __init__(self, problems: list[RowNote]):
        super().__init__("invalid_ods_file", "are invalid", problems)


class RowsBeyondYourRegion(RefusedRows):
    """A regional import's rows that would move a PCN or practice into or out of its region."""

    status = 403

    def __init__(self, problems: list[RowNote]):
        super().__init__(
            "rows_beyond_your_region", "would move a PCN or practice between your region and another", problems
        )


class MovesOfRowsInUse(RefusedRows):
    """A national import's rows that would move a PCN or practice people belong to into another region."""

    status = 409

    def __init__(self, problems: list[RowNote]):
        super().__init__(
            "move_of_rows_in_use", "would move a PCN or practice that people belong to into another region", problems
        )


@dataclass(frozen=True)
class InUse:
    """PCNs that participants or offers belong to, and practices that participants belong to."""

    pcns: frozenset[str] = frozenset()
    practices: frozenset[str] = frozenset()


# What an import does with one row (see `verdict`).
APPLY, LEAVE, NOT_YOURS, IN_USE = "apply", "leave", "not_yours", "in_use"


@dataclass
class ImportPlan:
    pcns_created: list[Pcn] = field(default_factory=list)
    pcns_updated: list[Pcn] = field(default_factory=list)
    pcns_unchanged: int = 0
    practices_created: list[Practice] = field(default_factory=list)
    practices_updated: list[Practice] = field(default_factory=list)
    practices_unchanged: int = 0
    skipped: list[RowNote] = field(default_factory=list)
    out_of_scope: int = 0

    def changes(self, existing_pcns: dict[str, Pcn], existing_practices: dict[str, Practice]) -> list[dict]:
        """Each PCN and practice the plan adds or changes, with the fields that change (before and
        after; dates as ISO text), PCNs first: what a preview shows, and what an import did."""
        found = [
            _change("pcn", new, existing_pcns.get(new.code), PCN_FIELDS)
            for new in self.pcns_created + self.pcns_updated
        ]
        found += [
            _change("practice", new, existing_practices.get(new.code), PRACTICE_FIELDS)
            for new in self.practices_created + self.practices_updated
        ]
        return found[:MAX_REPORTED_CHANGES]

    def report(self) -> dict:
        return {
            "pcns": {
                "created": len(self.pcns_created),
                "updated": len(self.pcns_updated),
                "unchanged": self.pcns_unchanged,
            },
            "practices": {
                "created": len(self.practices_created),
                "updated": len(self.practices_updated),
                "unchanged": self.practices_unchanged,
            },
            "skipped": len(self.skipped),
            "out_of_scope": self.out_of_scope,
            "skipped_rows": [vars(note) for note in self.skipped[:MAX_REPORTED_ROWS]],
        }


def _ods_date(value: str, column: str) -> date | None:
    if not value.strip():
        return None
    try:
        return datetime.strptime(value.strip(), "%Y%m%d").date()
    except ValueError:
        raise RuleViolation("invalid_date", f"{column} is not a date (YYYYMMDD).") from None


def _rows(text: str):
    """(line number, fields) of every non-blank CSV record."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))  # newline="": a lone \r ends a line too
    for fields in reader:
        if any(value.strip() for value in fields):
            yield reader.line_num, fields


def parse_epcn(text: str) -> tuple[list[tuple[int, Pcn]], list[RowNote]]:
    """epcn.csv, which has no header row."""
    pcns, problems, seen = [], [], {}
    for line, row in _rows(text):
        try:
            if len(row) < EPCN_COLUMNS:
                raise RuleViolation("columns", f"expected at least {EPCN_COLUMNS} columns.")
            code, name, sub_icb_code, sub_icb_name = row[0], row[1].strip(), row[2].strip(), row[3].strip()
            validate_pcn_code(code, field="column 1 (PCN code)")
            if not name or not sub_icb_code:
                raise RuleViolation("required", "the PCN name and sub-ICB code must not be blank.")
            if code in seen:
                raise RuleViolation("duplicate", f"the PCN code is repeated (first on line {seen[code]}).")
            pcn = Pcn(
                code,
                name,
                sub_icb_code,
                sub_icb_name,
                None,
                _ods_date(row[4], "column 5 (open date)"),
                _ods_date(row[5], "column 6 (close date)"),
            )
        except RuleViolation as error:
            problems.append(RowNote(EPCN, line, error.detail))
            continue
        seen[code] = line
        pcns.append((line, pcn))
    return pcns, problems


def parse_practice_map(text: str) -> tuple[list[tuple[int, Practice]], dict[str, str], list[RowNote]]:
    """gp-reg-pat-prac-map.csv: practices, and the region of each PCN (COMM_REGION_CODE)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    missing = [column for column in MAP_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        return [], {}, [RowNote(PRACTICE_MAP, 1, f"the header lacks {', '.join(missing)}.")]
    practices, regions, problems, seen, region_line = [], {}, [], {}, {}
    for row in reader:
        line = reader.line_num
        code, pcn_code, region = row["PRACTICE_CODE"], row["PCN_CODE"] or "", row["COMM_REGION_CODE"]
        try:
            validate_practice_code(code, field="PRACTICE_CODE")
            if code in seen:
                raise RuleViolation("duplicate", f"the practice code is repeated (first on line {seen[code]}).")
            if pcn_code:
                validate_pcn_code(pcn_code, field="PCN_CODE")
                validate_region_code(region, field="COMM_REGION_CODE")
                if regions.get(pcn_code, region) != region:
                    raise RuleViolation(
                        "pcn_region_conflict",
                        f"COMM_REGION_CODE: the PCN has another region on line {region_line[pcn_code]}.",
                    )
        except RuleViolation as error:
            problems.append(RowNote(PRACTICE_MAP, line, error.detail))
            continue
        seen[code] = line
        if pcn_code:
            regions.setdefault(pcn_code, region)
            region_line.setdefault(pcn_code, line)
        practices.append((line, Practice(code, pcn_code, (row.get("PRACTICE_NAME") or "").strip() or None)))
    return practices, regions, problems


def plan_import(
    epcn_text: str,
    map_text: str,
    existing_pcns: dict[str, Pcn],
    existing_practices: dict[str, Practice],
    *,
    scope_region: str | None = None,
    in_use: InUse = InUse(),
) -> ImportPlan:
    """What an import changes. `scope_region` limits a regional administrator to their region
    (None: the national team's import); `in_use` is what people and offers belong to.

    Raises InvalidOdsFile for unreadable rows, then RowsBeyondYourRegion or MovesOfRowsInUse
    for rows the caller may not apply: all of them named, none of the file planned."""
    pcns, problems = _readable(parse_epcn, epcn_text, EPCN)
    practices, regions, map_problems = _readable(parse_practice_map, map_text, PRACTICE_MAP)
    if problems or map_problems:
        raise InvalidOdsFile(problems + map_problems)
    plan, refused = ImportPlan(), {NOT_YOURS: [], IN_USE: []}
    placed: dict[str, str] = {code: pcn.region for code, pcn in existing_pcns.items()}
    for line, pcn in pcns:
        region = regions.get(pcn.code) or placed.get(pcn.code)
        if region is None:
            plan.skipped.append(RowNote(EPCN, line, "no_region: no practice of this PCN is in the practice map"))
            continue
        placed[pcn.code] = region
        old = existing_pcns.get(pcn.code)
        action, reason = verdict(
            "PCN", old and old.region, region, scope_region=scope_region, in_use=pcn.code in in_use.pcns
        )
        if action == APPLY:
            _sort(
                Pcn(**{**vars(pcn), "region": region}),
                old,
                plan.pcns_created,
                plan.pcns_updated,
                plan,
                "pcns_unchanged",
            )
        _note(plan, refused, action, RowNote(EPCN, line, reason))
    for line, practice in practices:
        if practice.pcn_code not in placed:
            reason = (
                "unknown_pcn: the PCN is in neither epcn.csv nor Convene"
                if practice.pcn_code
                else "no_pcn: the practice is in no PCN"
            )
            plan.skipped.append(RowNote(PRACTICE_MAP, line, reason))
            continue
        old = existing_practices.get(practice.code)
        held_in = existing_pcns[old.pcn_code].region if old else None
        action, reason = verdict(
            "practice",
            held_in,
            placed[practice.pcn_code],
            scope_region=scope_region,
            in_use=practice.code in in_use.practices,
        )
        if action == APPLY:
            _sort(practice, old, plan.practices_created, plan.practices_updated, plan, "practices_unchanged")
        _note(plan, refused, action, RowNote(PRACTICE_MAP, line, reason))
    if refused[NOT_YOURS]:
        raise RowsBeyondYourRegion(refused[NOT_YOURS])
    if refused[IN_USE]:
        raise MovesOfRowsInUse(refused[IN_USE])
    return plan


def verdict(kind: str, held_in: str | None, goes_to: str, *, scope_region: str | None, in_use: bool) -> tuple[str, str]:
    """What an import does with a row that puts a PCN or practice (`kind`), now in region
    `held_in` (None: new to Convene), in region `goes_to` (a practice's region is its PCN's).

    (APPLY, ""); (LEAVE, "") for a row a regional import leaves alone because it is wholly
    another region's; or (NOT_YOURS or IN_USE, "rule: why") for a row that refuses the file.
    A regional import applies only rows that stay in, or are new to, the caller's region:
    one that would take another region's PCN or practice, or give the caller's away, is the
    national team's to make."""
    region = "region" if kind == "PCN" else "a PCN of region"
    moves = held_in is not None and held_in != goes_to
    if scope_region is None:
        if moves and in_use:
            people = "participants or offers belong" if kind == "PCN" else "participants belong"
            return IN_USE, f"in_use: {people} to the {kind}, so it cannot move from region {held_in} to {goes_to}"
        return APPLY, ""
    if moves and held_in == scope_region:
        return (
            NOT_YOURS,
            f"leaves_region: the {kind} would move to {region} {goes_to}; only the national team moves a {kind} "
            "between regions",
        )
    if moves and goes_to == scope_region:
        return (
            NOT_YOURS,
            f"another_region: the {kind} is in {region} {held_in}; only the national team moves a {kind} between "
            "regions",
        )
    return (APPLY, "") if goes_to == scope_region else (LEAVE, "")


def _note(plan: ImportPlan, refused: dict[str, list[RowNote]], action: str, note: RowNote) -> None:
    if action == LEAVE:
        plan.out_of_scope += 1
    elif action in refused:
        refused[action].append(note)


def _readable(parse, text: str, file: str):
    try:
        return parse(text)
    except csv.Error as error:  # e.g. a field beyond the csv module's size limit; the message holds no data
        raise InvalidOdsFile([RowNote(file, 0, f"the file is not readable as CSV: {error}")]) from None


def _change(kind: str, new, old, compared: tuple[str, ...]) -> dict:
    def shown(value):
        return value.isoformat() if isinstance(value, date) else value

    changed = [
        {"field": name, "before": shown(getattr(old, name)) if old else None, "after": shown(getattr(new, name))}
        for name in compared
        if old is None or getattr(old, name) != getattr(new, name)
    ]
    if old is None:
        changed = [item for item in changed if item["after"] is not None]
    return {
        "kind": kind,
        "code": new.code,
        "name": new.name,
        "change": "changed" if old else "added",
        "differences": changed,
    }


def _sort(new, old, created: list, updated: list, plan: ImportPlan, unchanged: str) -> None:
    if old is None:
        created.append(new)
    elif old != new:
        updated.append(new)
    else:
        setattr(plan, unchanged, getattr(plan, unchanged) + 1)
