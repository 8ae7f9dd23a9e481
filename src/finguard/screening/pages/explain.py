"""The match explanations in Chinese: the matcher and the qualifiers write each explanation as an
English sentence (stored with the screening); these patterns let the pages show it in the page's
language (``core.i18n.explained``), the texts being the catalogue's ``explain_*`` keys and the words
``word_*``. A sentence no pattern knows shows as written."""

from __future__ import annotations

from finguard.core.i18n import register_pattern

Q = r"(?P<{0}>'[^']*'|\"[^\"]*\")"  # a Python repr of a string, as the explanations quote names

_PATTERNS = (
    (
        rf"{Q.format('query')} against the listed {Q.format('listed')}: equal, comparing "
        rf"{Q.format('a')} \((?P<av>[^)]*)\) with {Q.format('b')} \((?P<bv>[^)]*)\)",
        "explain_name_equal",
    ),
    (
        rf"{Q.format('query')} against the listed {Q.format('listed')}: similarity (?P<sim>[0-9.]+), comparing "
        rf"{Q.format('a')} \((?P<av>[^)]*)\) with {Q.format('b')} \((?P<bv>[^)]*)\)",
        "explain_name_compared",
    ),
    (rf"{Q.format('query')} against the listed {Q.format('listed')}: similarity (?P<sim>[0-9.]+)", "explain_name_similarity"),
    (r"both are a (?P<kind>\w+)", "explain_kind_same"),
    (r"the query is a (?P<query>\w+), the listed entry a (?P<listed>\w+)", "explain_kind_differs"),
    (
        r"the query's name carries a legal form \((?P<forms>.*)\), an organisation's; the listed entry is a person",
        "explain_kind_by_legal_form",
    ),
    (
        r"the query's name carries a legal form \((?P<forms>.*)\), an organisation's; the listed entry is a person, "
        r"and the query does not write the person's name as listed",
        "explain_kind_by_legal_form_near",
    ),
    (r"birth date (?P<date>[0-9-]+) is the listed one", "explain_birth_date_equal"),
    (r"birth year (?P<year>\d+) is a listed one", "explain_birth_year_equal"),
    (r"birth year differs by (?P<gap>\d+) from the listed (?P<years>.+): neither raised nor lowered", "explain_birth_year_near"),
    (r"birth year (?P<year>\d+) differs from the listed (?P<years>.+)", "explain_birth_year_differs"),
    (rf"country {Q.format('country')} is a listed nationality or country", "explain_country_equal"),
    (rf"country {Q.format('country')} is not among the listed ones \((?P<listed>.*)\)", "explain_country_differs"),
    (r"both (?P<gender>male|female)", "explain_gender_same"),
    (r"the query is (?P<query>male|female), the listed person (?P<listed>male|female)", "explain_gender_differs"),
    (r"same legal form \((?P<forms>.*)\)", "explain_legal_form_same"),
    (r"different legal forms: (?P<query>.*) against (?P<listed>.*)", "explain_legal_form_differs"),
    (r"(?P<kind>\S+) (?P<value>\S+) is listed on this entry: an equal identifier is decisive", "explain_identifier_equal"),
    (
        rf"weighing tokens by their rarity on the lists the similarity is (?P<sim>[0-9.]+); unmatched listed tokens: {Q.format('missing')}",
        "explain_rarity_missing",
    ),
    (r"weighing tokens by their rarity on the lists the similarity is (?P<sim>[0-9.]+)", "explain_rarity"),
    (rf"none of the listed family names \({Q.format('names')}\) is in the query", "explain_family_missing"),
    (rf"the query has a later listed family name but not the first, {Q.format('name')}", "explain_family_first_missing"),
)
for _pattern, _key in _PATTERNS:
    register_pattern(_pattern, _key)
