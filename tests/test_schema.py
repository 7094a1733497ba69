"""The schema is data: it loads, round-trips, and holds what every form of SPEC §2 needs."""
import pytest

from xltools.forms.schema import Schema, load_schema, norm_label

FORMS = ["customers", "needs", "solution", "objections", "negotiations", "contracts", "collections", "rebates", "visits", "pipeline", "targets",
         "presale_visits", "weekly_plan"]


def test_every_form_of_the_sales_process_is_there():
    schema = load_schema()
    assert [f.key for f in schema.forms] == FORMS
    assert [s.key for s in schema.form("needs").sheets] == ["needs", "decision_chain"]


def test_schema_round_trips_through_its_descriptor():
    schema = load_schema()
    again = Schema.from_descriptor(schema.to_descriptor())
    assert again == schema
    assert again.to_descriptor() == schema.to_descriptor()


def test_every_field_has_both_labels_help_and_an_example():
    for spec in load_schema().sheets.values():
        for f in spec.fields:
            assert f.label.zh and f.label.en and f.help.zh and f.help.en, (spec.key, f.key)
            assert f.example is not None, (spec.key, f.key)
            if f.type == "enum":
                assert f.choices, (spec.key, f.key)


def test_every_choice_has_an_english_label_and_no_spelling_names_two_choices():
    for spec in load_schema().sheets.values():
        for f in spec.fields:
            spellings = [norm_label(s) for c in f.choices for s in {c.value, c.en, *c.aliases}]
            assert all(c.en for c in f.choices), (spec.key, f.key)
            assert len(spellings) == len(set(spellings)), (spec.key, f.key)


@pytest.mark.parametrize("header, key", [
    ("跟进状态", "grade"), ("客户等级", "grade"), ("Grade", "grade"), ("年营收（万元）", "revenue"),
    ("企业规模（员工人数/年营收）", "employees+revenue"), ("  联系 方式 ", "phone"),
])
def test_headers_match_by_label_alias_and_width(header, key):
    assert load_schema().sheets["customers"].header_lookup[norm_label(header)] == key


def test_natural_keys_and_special_fields_name_real_fields():
    for spec in load_schema().sheets.values():
        for key in (*spec.natural_key, spec.customer_field, spec.rep_field, spec.timely_field):
            if key:
                assert key in spec.field_map, (spec.key, key)


def test_stage_choices_carry_the_seed_probabilities():
    stage = load_schema().sheets["pipeline"].field("stage")
    assert [c.probability for c in stage.choices] == [10, 25, 50, 75, 90, 100]


def test_the_business_vocabulary_is_declared_once_as_roles(schema):
    from xltools.rollup import contracts, pipeline
    from xltools.checks import rules
    from xltools.xlsx.templates import highlights
    stage, forecast = schema.sheets["pipeline"].field("stage"), schema.sheets["pipeline"].field("forecast")
    assert stage.with_role("won") == rules.WON_STAGE == pipeline.WON_STAGE == "6 收回全款"
    assert rules.CLOSED_FORECASTS == {forecast.with_role("won"), forecast.with_role("lost")} == {"已成交", "丢单"}
    assert contracts.APPROVAL_CHAIN == schema.sheets["contracts"].field("step").choice_values()
    assert contracts.GM_STEP == rules.GM_STEP == "总经理审批"
    assert highlights.DUE_DATES["objections"][1] == {"status": ("已解决",)}
    with pytest.raises(ValueError, match="0 choices have the role 'won'"):
        schema.sheets["contracts"].field("step").with_role("won")
