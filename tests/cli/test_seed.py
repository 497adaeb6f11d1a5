"""The seed loader: idempotent, precise about what changed, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from support import SEEDED

from api.domain.changelog import data_version
from api.domain.quotes import normalise
from api.extensions import db
from api.models import Citation, Event, Mission, Person, Source

MODELS = (Mission, Source, Person, Event, Citation)


def snapshot(app: Flask) -> dict[str, list[tuple]]:
    """Every row of every table, to compare databases before and after."""
    with app.app_context():
        return {
            model.__tablename__: sorted(
                tuple(str(getattr(row, c.key)) for c in model.__table__.columns)
                for row in db.session.scalars(select(model))
            )
            for model in MODELS
        }


def seed(runner: FlaskCliRunner, folder: Path, *options: str):
    return runner.invoke(args=["seed", "--dir", str(folder), *options])


def edit(folder: Path, name: str, change) -> None:
    path = folder / name
    records = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(records)
    path.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_seed_loads_everything_then_changes_nothing(
    app: Flask, runner: FlaskCliRunner, seeds_copy: Path
) -> None:
    first = seed(runner, seeds_copy)
    assert first.exit_code == 0, first.output
    assert "events.yaml: 0 created" not in first.output
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(Event))
        assert events == SEEDED["events"]
        version = data_version()
    before = snapshot(app)
    second = seed(runner, seeds_copy)
    assert second.exit_code == 0
    reports = [line for line in second.output.splitlines() if ".yaml:" in line]
    assert len(reports) == len(SEEDED)
    assert all(": 0 created, 0 updated," in line for line in reports), second.output
    assert snapshot(app) == before
    with app.app_context():
        assert data_version() == version


def test_an_edit_updates_exactly_what_changed(
    app: Flask, runner: FlaskCliRunner, seeds_copy: Path
) -> None:
    assert seed(runner, seeds_copy).exit_code == 0
    before = snapshot(app)

    def retitle(events: list[dict]) -> None:
        launch = next(e for e in events if e["id"] == "soyuz-ms-19-launch")
        launch["title"] = "Soyuz MS-19 launches from Baikonur"
        launch["citations"][0]["supports"] = ["start"]

    edit(seeds_copy, "events.yaml", retitle)
    kept = seed(runner, seeds_copy)  # without --overwrite: reported, not applied
    unchanged = SEEDED["events"] - 1
    assert f"events.yaml: 0 created, 0 updated, {unchanged} unchanged, 1 differ" in kept.output
    assert snapshot(app) == before
    result = seed(runner, seeds_copy, "--overwrite")
    assert result.exit_code == 0, result.output
    assert "events.yaml: 0 created, 1 updated" in result.output
    after = snapshot(app)
    changed = {table: set(after[table]) ^ set(before[table]) for table in after}
    assert {t for t, rows in changed.items() if rows} == {"events", "citations"}
    assert len(changed["events"]) == 2 and len(changed["citations"]) == 2  # old and new row
    with app.app_context():
        launch = db.session.get(Event, "soyuz-ms-19-launch")
        assert launch.title == "Soyuz MS-19 launches from Baikonur"
        assert launch.citations[0].supports == ["start"]


@pytest.mark.parametrize(("name", "change", "message"), [
    ("events.yaml", lambda rs: rs[3]["start"].update(date="2021-02-30"),
     "record '{id}' (#4): field 'start.date'"),
    ("events.yaml", lambda rs: rs[5]["citations"][0].pop("quote"),
     "record '{id}' (#6): field 'citations.0.quote'"),
    ("events.yaml", lambda rs: rs[2]["citations"][0].update(source="nowhere"),
     "record '{id}' (#3): field 'citations.0.source': unknown id 'nowhere'"),
    ("people.yaml", lambda rs: rs[1].update(id="Not A Slug"),
     "record 'Not A Slug' (#2): field 'id'"),
    ("events.yaml", lambda rs: rs[-1].update(status="rumoured"),
     "record '{id}' (#{n}): field 'status'"),
    ("missions.yaml", lambda rs: rs[0].update(key_event="no-such-event"),
     "record 'the-challenge' (#1): field 'key_event': no event 'no-such-event': a key event "
     "must be an event of mission 'the-challenge'"),
    ("missions.yaml", lambda rs: rs.append({"id": "other", "name": "Another mission",
                                            "summary": "Not this film.",
                                            "key_event": "soyuz-ms-19-launch"}),
     "record 'other' (#2): field 'key_event': event 'soyuz-ms-19-launch' is in mission "
     "'the-challenge': a key event must be an event of mission 'other'"),
])
def test_an_invalid_seed_file_aborts_and_changes_nothing(
    app: Flask, runner: FlaskCliRunner, seeds_copy: Path, name: str, change, message: str
) -> None:
    assert seed(runner, seeds_copy).exit_code == 0
    before = snapshot(app)

    def rename_then_break(records: list[dict]) -> None:
        # a valid edit earlier in the run must not survive the failure either
        records[0]["title" if name == "events.yaml" else "name"] = "Edited before the error"
        change(records)

    edit(seeds_copy, name, rename_then_break)
    records = yaml.safe_load((seeds_copy / name).read_text())
    result = seed(runner, seeds_copy)
    assert result.exit_code != 0
    expected_id = {r.get("id") for r in records}
    assert str(seeds_copy / name) in result.output
    assert any(message.format(id=i, n=len(records)) in result.output for i in expected_id), (
        result.output
    )
    assert snapshot(app) == before


def test_migrations_match_the_models(app: Flask) -> None:
    """`flask db check` (autogenerate through api/migrations/env.py) finds nothing to add."""
    result = app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_a_duplicate_key_is_refused_naming_the_file_and_line(
    app: Flask, runner: FlaskCliRunner, seeds_copy: Path
) -> None:
    path = seeds_copy / "events.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith("  title: "))
    lines.insert(first + 1, "  title: A second title the loader would silently keep\n")
    path.write_text("".join(lines), encoding="utf-8")
    result = seed(runner, seeds_copy)
    assert result.exit_code != 0
    assert (f"{path}:{first + 2}: duplicate key 'title' (also at line {first + 1})"
            in result.output), result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0


def test_a_date_its_basis_contradicts_aborts_the_seed(
    app: Flask, runner: FlaskCliRunner, seeds_copy: Path
) -> None:
    def land_a_day_late(events: list[dict]) -> None:
        landing = next(e for e in events if e["id"] == "crew-returns-to-earth")
        landing["start"]["date"] = "2021-10-18"

    edit(seeds_copy, "events.yaml", land_a_day_late)
    result = seed(runner, seeds_copy)
    assert result.exit_code != 0
    assert ("record 'crew-returns-to-earth' (#" in result.output and "field 'start.date': the "
            "basis gives '2021-10-17' (12 days after the start of event 'soyuz-ms-19-docking'), "
            "not '2021-10-18'" in result.output), result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0


def test_seeding_verifies_every_quote_out_of_the_box(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient, articles: Path
) -> None:
    """`flask seed` with no option loads the articles from ARTICLES_DIR (by default
    ../shared/seeds beside the project), so every citation reads verified, with offsets."""
    app.config["ARTICLES_DIR"] = str(articles)
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert f"source texts from {articles}: 5 loaded or changed" in result.output
    texts = {p.name: p.read_text(encoding="utf-8") for p in articles.glob("*.txt")}
    url, checked = "/v1/events?limit=100", 0
    while url:
        page = client.get(url).json
        for citation in (c for event in page["items"] for c in event["citations"]):
            assert citation["verified"] is True and citation["unverified_reason"] is None
            text = texts[citation["source"] + ".txt"]
            span = citation["offsets"]
            assert normalise(text[span["start"]:span["end"]]) == normalise(citation["quote"])
            checked += 1
        url = page["next"]
    assert checked >= 100


def test_without_the_articles_each_citation_says_why_it_is_unverified(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient, tmp_path: Path
) -> None:
    app.config["ARTICLES_DIR"] = str(tmp_path / "absent")
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "source texts: none loaded" in result.output
    event = client.get("/v1/events/soyuz-ms-19-launch").json
    for citation in event["citations"]:
        assert citation["verified"] is False and citation["offsets"] is None
        assert citation["unverified_reason"].startswith(
            f"No text of source '{citation['source']}' is loaded")
