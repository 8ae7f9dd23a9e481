"""Screening across scripts and name semantics (#16): each case is a query, a listed name, and the outcome."""

from __future__ import annotations

import pytest

from finguard.core.errors import InvalidInput
from finguard.core.identifiers import IdType, normalize
from finguard.lists.model.lists import EntryDraft, Identifier, Party, SubjectKind
from finguard.screening.model.diligence import PartyKind, counterparty_from_record
from finguard.screening.model.names import analyse_name, han_company_english, skeleton
from finguard.screening.model.scripts import confusable_skeleton, hangul
from finguard.screening.service import NameScreener, ScreenQuery, Thresholds


def person(key: str, *names: str) -> EntryDraft:
    return EntryDraft(key, SubjectKind.PERSON, (), Party(names=names))


def org(key: str, *names: str, ids: tuple[Identifier, ...] = ()) -> EntryDraft:
    return EntryDraft(key, SubjectKind.ORGANISATION, ids, Party(names=names))


@pytest.fixture(scope="module")
def screener() -> NameScreener:
    s = NameScreener()
    s.add(1, "ofac", person("putin", "PUTIN, Vladimir Vladimirovich", "Владимир Владимирович Путин"))
    s.add(2, "ofac", org("huawei", "华为技术有限公司"))
    s.add(3, "un", person("tikriti", "SADDAM HUSSEIN AL-TIKRITI"))
    s.add(4, "x", person("li", "李明"))
    s.add(5, "x", person("arabic", "شفن لو"))
    s.add(6, "ofac", EntryDraft("ship", SubjectKind.VESSEL, (Identifier(IdType.IMO, "9929429"),), Party(names=("SNOW STORM 1",))))
    s.add(7, "ofac", person("chouka", "CHOUKA, Monir"))
    s.add(8, "ofac", person("kim", "KIM, Jong Un"))
    s.add(9, "x", person("ukr", "Гаврило Фурс"))
    s.add(10, "ofac", person("herrera", "RENDON HERRERA, Daniel"))
    return s


def outcome(s: NameScreener, query: str, entry: int, **kw: object) -> str | None:
    hit = next((h for h in s.screen(ScreenQuery(query, **kw)) if h.entry_id == entry), None)  # type: ignore[arg-type]
    return hit.outcome if hit else None


@pytest.mark.parametrize(
    ("query", "entry", "expected"),
    [
        ("Vladimir Putin", 1, "match"),  # the patronymic left out: a token subset in order
        ("Wladimir Putin", 1, "match"),
        ("Vladimir Poutine", 1, "match"),
        ("Владимир Путин", 1, "match"),
        ("HUAWEI TECHNOLOGIES CO. LTD.", 2, "match"),  # generic words through the dictionary, the rest in pinyin
        ("Huawei Jishu Youxian Gongsi", 2, "match"),
        ("صدام حسين التكريتي", 3, "match"),  # the UN list's own Arabic spelling, the article split off
        ("李铭", 4, "close_match"),  # another character read alike: close at most
        ("Shufen Lu", 5, None),  # a Chinese name never matches an Arabic one by consonants
        ("Snow Storm 2", 6, None),  # a different number is another ship
        ("СНОUКА, Моnіr", 7, "match"),  # Latin name in Cyrillic look-alikes
        ("김정은", 8, "match"),  # Hangul, McCune-Reischauer / RR vowels
        ("Havrylo Furs", 9, "match"),  # Ukrainian national romanisation
        ("Daniel Herrera", 10, "close_match"),  # the second of two family names alone: close at most
        ("Daniel Herreras", 10, None),  # and only as listed
    ],
)
def test_names_across_scripts_and_semantics(screener: NameScreener, query: str, entry: int, expected: str | None) -> None:
    assert outcome(screener, query, entry) == expected


def test_han_reading_alike_is_explained(screener: NameScreener) -> None:
    hit = screener.screen(ScreenQuery("李铭"))[0]
    assert hit.score < 0.92
    assert any(f.name == "han_characters_differ" and "李铭" in f.explanation for f in hit.features)


def test_a_party_known_only_by_identifiers_is_screened(screener: NameScreener) -> None:
    for raw in ("IMO 9929429", "IMO9929429", "9929429"):
        hits = screener.screen(ScreenQuery("", identifiers=(Identifier(IdType.IMO, normalize(IdType.IMO, raw)),)))
        assert [h.entry_id for h in hits] == [6] and hits[0].outcome == "match"
    with pytest.raises(InvalidInput):
        screener.screen(ScreenQuery(""))


def test_identifier_kinds_are_normalised() -> None:
    assert normalize(IdType.IMO, "IMO 9929429") == normalize(IdType.IMO, "imo-9929429") == "9929429"
    assert normalize(IdType.BIC, "BKCH CN BJ XXX") == normalize(IdType.BIC, "bkchcnbj") == "BKCHCNBJ"
    assert normalize(IdType.LEI, "2138 00D1 EI4B 9WTW WD28") == "213800D1EI4B9WTWWD28"
    for kind, bad in ((IdType.IMO, "IMO 9929428"), (IdType.BIC, "12CHCNBJ"), (IdType.LEI, "213800D1EI4B9WTWWD29")):
        with pytest.raises(InvalidInput):
            normalize(kind, bad)


def test_batch_rows_infer_the_kind() -> None:
    assert counterparty_from_record({"name": "GAZPROMBANK OAO"}).kind is PartyKind.ORGANISATION
    assert counterparty_from_record({"name": "华为技术有限公司"}).kind is PartyKind.ORGANISATION
    # A supplier's name without a legal form stays a person (sole traders supply too); known only by
    # identifiers, a supplier is an organisation.
    assert counterparty_from_record({"name": "Nicolas Maduro Moros"}, default_purpose="supplier").kind is PartyKind.PERSON
    assert counterparty_from_record({"name": "Rosneft OAO"}, default_purpose="supplier").kind is PartyKind.ORGANISATION
    supplier_ids = counterparty_from_record({"id_type": "imo", "id_value": "IMO 9929429"}, default_purpose="supplier")
    assert supplier_ids.kind is PartyKind.ORGANISATION
    assert counterparty_from_record({"name": "John Smith"}).kind is PartyKind.PERSON
    assert counterparty_from_record({"name": "Acme Ltd", "kind": "person"}).kind is PartyKind.PERSON  # the file's column wins
    only_ids = counterparty_from_record({"id_type": "imo", "id_value": "IMO 9929429"})
    assert (only_ids.key, only_ids.name) == ("imo:9929429", "")
    with pytest.raises(InvalidInput):
        counterparty_from_record({})


def test_romanisation_helpers() -> None:
    assert confusable_skeleton("СНОUКА") == "CHOUKA"
    assert confusable_skeleton("Сергей") is None  # a real Russian name is transliterated, not read as look-alikes
    assert "kim jongun" in hangul("김정은") and "ri yongho" in hangul("리영호")
    assert han_company_english("华为技术") == ("huawei", "technology")
    assert ("vladimiros", "poutin") in {v.tokens for v in analyse_name("Βλαδίμηρος Πούτιν").variants}  # ELOT 743
    assert {("dmitriy", "medvedev"), ("dmitry", "medvedev")} <= {v.tokens for v in analyse_name("Дмитрий Медведев").variants}


def test_the_api_screens_a_party_known_only_by_identifiers(client: object, admin_key: str, platform: object) -> None:
    """POST /api/v1/parties/screen with no name and an IMO number: screened by the identifier, kind inferred."""
    from fastapi.testclient import TestClient

    from finguard.app.platform import Platform

    assert isinstance(client, TestClient) and isinstance(platform, Platform)
    platform.lists.create_list("sdn", "SDN", "sanctions", "OFAC", "critical")
    platform.lists.add_entry(
        "sdn", EntryDraft("ship", SubjectKind.VESSEL, (Identifier(IdType.IMO, "9929429"),), Party(names=("SNOW STORM 1",))), "t"
    )
    headers = {"X-API-Key": admin_key}
    body = {"identifiers": [{"type": "imo", "value": "IMO 9929429"}], "purpose": "supplier"}
    # Confirmed current just now: a pause of this process past the 1 s staleness bound (a full
    # collection late in a long run) would otherwise answer 503 unavailable, by design.
    platform.follower.catch_up()
    response = client.post("/api/v1/parties/screen", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "match"
    empty = client.post("/api/v1/parties/screen", json={"purpose": "supplier"}, headers=headers)
    assert empty.status_code == 422 and empty.json()["error"]["problems"][0]["field"] == "name"


# -- #16 follow-up: Korean syllables, Hebrew letters, nicknames, partial company names ----------------


@pytest.fixture(scope="module")
def more() -> NameScreener:
    s = NameScreener()
    s.add(1, "ofac", person("ri", "RI, Chun Song"))
    s.add(2, "ofac", person("kmg", "Kim Myong Gi"))
    s.add(3, "ofac", person("rpc", "RI PYONG CHUL"))
    s.add(4, "x", person("levi", "ywsp lwy"))  # a Hebrew name as ISO 259 writes it
    s.add(5, "x", person("cohen", "יעקב כהן"))
    s.add(6, "ofac", person("ted", "KACZYNSKI, Theodore John"))
    s.add(7, "ofac", person("bill", "GATES, William Henry"))
    s.add(8, "ofac", person("sasha", "IVANOV, Aleksandr Petrovich"))
    s.add(9, "ofac", org("mob", "MOBARAKEH STEEL COMPANY"))
    s.add(10, "ofac", org("syr", "SYRIAN PETROLEUM COMPANY"))
    s.add(11, "ofac", org("hengam", "HENGAM"))
    s.add(12, "ofac", org("hengam-pc", "HENGAM PETROCHEMICAL COMPANY"))
    s.add(13, "ofac", org("b44", "BRIGADE 44"))
    for i in range(60):  # "Syrian" is on many listed names, as on the real lists; "Steel" and the rest too
        s.add(100 + i, "ofac", org(f"syr{i}", f"SYRIAN {chr(97 + i % 26)}{chr(97 + i // 26)}filler STEEL COMPANY"))
    return s


@pytest.mark.parametrize(
    ("query", "entry", "expected"),
    [
        ("이준서", 1, None),  # ri jun so: a syllable that differs is another Korean name
        ("김영철", 2, None),  # kim yong chol is not kim myong gi
        ("리병철", 3, "close_match"),  # chol / chul: North and South Korean spellings of one syllable
        ("יוסף לוי", 4, "match"),  # the Hebrew letters, one by one
        ("y'qb khn", 5, "match"),
        ("Ted Kaczynski", 6, "close_match"),  # a nickname: a close match on its own
        ("Theodore Kaczynski", 6, "match"),
        ("Bill Gates", 7, "close_match"),
        ("Sasha Ivanov", 8, "close_match"),  # a Russian diminutive
        ("MOBARAKEH COMPANY", 9, "close_match"),  # a word left out of a company's name, the rare one kept
        ("SYRIAN COMPANY", 10, None),  # the kept word is on many listed names
        ("Brigade Fourty-four", 13, "match"),  # a number written out (and misspelt)
        ("Brigade Forty-five", 13, None),  # another number: another brigade
    ],
)
def test_syllables_letters_nicknames_and_partial_companies(more: NameScreener, query: str, entry: int, expected: str | None) -> None:
    assert outcome(more, query, entry) == expected


def test_a_name_equal_as_a_whole_does_not_push_out_longer_ones(more: NameScreener) -> None:
    assert {11, 12} <= more.candidate_entries("HENGAM COMPANY", "organisation")


def test_a_nickname_is_explained(more: NameScreener) -> None:
    hit = next(h for h in more.screen(ScreenQuery("Bill Gates")) if h.entry_id == 7)
    assert any("nickname" in f.explanation for f in hit.features)
    assert hit.score < 0.92


def test_cyrillic_names_made_of_look_alike_letters_are_still_cyrillic() -> None:
    """Every letter of Тарас Авраменко has a Latin twin; it is a Ukrainian name, not a disguise."""
    s = NameScreener()
    s.add(1, "x", person("ta", "Taras Avramenko"))
    s.add(2, "x", person("mr", "Марко Романенко"))
    s.add(3, "x", person("ak", "Ακριβή Κλήμης"))
    assert outcome(s, "Тарас Авраменко", 1) == "match"
    assert outcome(s, "Marko Romanenko", 2) == "match"
    assert outcome(s, "Akribe Klemes", 3) == "match"  # the classical transliteration of Greek (β b, η e)
    assert ("tapac", "abpamehko") in {v.tokens for v in analyse_name("Тарас Авраменко").variants}  # and as a disguise


def test_legal_forms_written_in_cyrillic_are_legal_forms() -> None:
    s = NameScreener()
    s.add(1, "x", org("rom", "ROMASHKA, OOO"))
    s.add(2, "x", org("bon", "BONRAIL COMPANY"))
    assert outcome(s, "ООО Ромашка", 1) == "match"
    assert outcome(s, "Бонреил Компани", 2) in ("match", "close_match")
    assert analyse_name("ООО Ромашка").legal_forms == ("llc",)
    assert analyse_name("Иван Петров", "person").legal_forms == ()


@pytest.mark.parametrize(
    ("query", "listed", "expected"),
    [
        # a Hebrew word of two consonants is what its letters say: Saad and Tal, not Saeed or Kayiira
        ("מוחמד סעד", "SAEED, Muhammad", None),
        ("מוחמד בכר", "MUHAMMAD, Kayiira", None),
        ("מוחמד סעד", "SAAD, Muhammad", "match"),
        ("טל כהן", "KOHEN, Tal", "close_match"),
        # a foreign name written in Cyrillic: дж is j
        ("Абдул Маджид", "MAJID, Abdul", "match"),
        ("Джохнни Пареджа", "PAREJA, Johnni", "match"),
    ],
)
def test_hebrew_short_words_and_cyrillic_dzh(query: str, listed: str, expected: str | None) -> None:
    s = NameScreener()
    s.add(1, "x", person("p", listed))
    assert outcome(s, query, 1) == expected


def test_the_pinyin_of_a_chinese_company_is_compared_by_syllables() -> None:
    """南康科技 reads "nankang technology": NANJING KAIKAI TECHNOLOGY is another company; KAIKAI TECHNOLOGY is 开开科技."""
    s = NameScreener()
    s.add(1, "x", org("nj", "NANJING KAIKAI TECHNOLOGY CO., LTD."))
    s.add(2, "x", org("kk", "KAIKAI TECHNOLOGY CO., LTD."))
    assert outcome(s, "南康科技有限公司", 1) is None
    assert outcome(s, "天开科技有限公司", 2) is None
    assert outcome(s, "开开科技有限公司", 2) == "match"


@pytest.mark.parametrize(
    ("query", "listed", "expected"),
    [
        # 김영진 (gim yeong jin) spells the letters of "gi myong jin" but cuts other syllables
        ("김영진", "Kim Myong Gi", None),
        ("김명기", "Kim Myong Gi", "match"),
        ("김영진", "KIM, Yongjin", "match"),  # the same syllables, spaced otherwise
        # a syllable of a Korean name with no partner is another name
        ("장미경", "JANG GYONG", None),
        ("장경", "JANG GYONG", "match"),
    ],
)
def test_korean_syllables_are_compared_whole(query: str, listed: str, expected: str | None) -> None:
    s = NameScreener()
    s.add(1, "x", person("p", listed))
    assert outcome(s, query, 1) == expected


@pytest.mark.parametrize(
    ("query", "listed", "expected"),
    [
        ("מוחמד שחר", "SARWAR, Muhammad", None),  # Hebrew writes Sarwar's w with a vav
        ("מוחמד סרוואר", "SARWAR, Muhammad", "match"),
        ("מוחמד בכר", "AYUB, Qari Muhammad", None),  # a word starting with bet is not Qari
        ("מוחמד סעד", "SAID, Mohamed", None),  # Said's long i would be written with a yod
    ],
)
def test_hebrew_letters_a_skeleton_forgets(query: str, listed: str, expected: str | None) -> None:
    s = NameScreener()
    s.add(1, "x", person("p", listed))
    assert outcome(s, query, 1) == expected


@pytest.mark.parametrize(
    ("query", "listed", "expected"),
    [
        ("Rocco Marino", "RICCIO, Mariano", None),  # every word a near spelling of another: other names
        ("Adila Safak", "SAFAR, Adel", None),
        ("Rocco Riccio", "RICCIO, Mariano", None),
        ("Mariano Ricio", "RICCIO, Mariano", "match"),  # one word as listed, the other misspelled
        ("Bill Gates", "GATES, William", "close_match"),
    ],
)
def test_near_spellings_of_every_word_are_not_a_hit(query: str, listed: str, expected: str | None) -> None:
    s = NameScreener()
    s.add(1, "x", person("p", listed))
    assert outcome(s, query, 1) == expected


def test_second_family_name_alone_is_a_close_match_explained() -> None:
    s = NameScreener()
    s.add(1, "x", person("p", "CHACON MIRANDA, Alejandro"))
    hit = s.screen(ScreenQuery("Alejandro Miranda"))[0]
    assert hit.outcome == "close_match"
    assert any(f.name == "token_subset" and "chacon" in f.explanation for f in hit.features)
    assert outcome(s, "Maria Miranda", 1) is None


def test_second_family_name_alone_and_a_given_name_left_out_is_no_hit() -> None:
    """#16 stop 23: the first family name and a given name both left out are two departures (a common pair, not him)."""
    s = NameScreener()
    s.add(1, "x", person("p", "FLORES CHAVEZ, Kevin Sebastian"))
    s.add(2, "x", person("q", "CHACON MIRANDA, Alejandro"))
    assert outcome(s, "Kevin Chavez", 1) is None
    assert outcome(s, "Kevin Sebastian Chavez", 1) == "close_match"  # the first family name alone left out: as before
    assert outcome(s, "Alejandro Miranda", 2) == "close_match"


def test_kanji_names_with_iteration_marks_and_apostrophes_are_read() -> None:
    assert any(v.tokens == ("佐佐木裕树",) for v in analyse_name("佐々木 裕樹").variants)
    pytest.importorskip("cutlet")  # the optional ja extra reads kanji in Japanese
    s = NameScreener()
    s.add(1, "x", person("goto", "GOTO, Kenichi"))
    s.add(2, "x", person("sasaki", "SASAKI, Yuki"))
    s.add(3, "x", person("okamoto", "OKAMOTO, Kumiko"))
    assert outcome(s, "後藤 健一", 1) == "match"  # cutlet reads Ken'Ichi
    assert outcome(s, "佐々木 裕樹", 2) == "match"
    assert outcome(s, "岡本 くみ子", 3) == "match"  # kanji and kana: read as written, not simplified (岡 -> 冈)


@pytest.mark.parametrize(
    ("query", "listed", "expected"),
    [
        # the family name 이 as lists write it: one spelling scored, the others its alternatives (#16, fifth pass)
        ("이지연", "LEE, Ji Yeon", "match"),
        ("이지연", "YI Jiyon", "match"),
        ("이지연", "RHEE, Ji-yeon", "match"),
        ("이지연", "Ji Yeon Lee", "match"),  # the family name last: the same order of syllables
        ("김서영", "KIM, Yong Su", None),  # every syllable paired (seo / su differ in o / u), the given name backwards
        ("김서영", "Seo Yeong KIM", "match"),
    ],
)
def test_korean_family_name_spellings_and_syllable_order(query: str, listed: str, expected: str | None) -> None:
    s = NameScreener()
    s.add(1, "x", person("p", listed))
    assert outcome(s, query, 1) == expected


def test_korean_probe_never_skips_a_name_that_could_be_a_hit() -> None:
    """KoreanProbe.may_reach is False only when the alignment is surely below the floor (checked on many pairs)."""
    from finguard.screening.service.similarity import KoreanProbe, name_similarity, prepare

    queries = ["이지연", "서성민", "최성수", "김서영", "박정식", "리영호", "정은", "김 정은"]
    listed = [
        "LEE, Ji Yeon", "Song Min", "SEO Song Min", "CHOE Song Su", "Cui Cheng Shu", "KIM, Yong Su", "Pak Jong Sik",
        "RI Yong Ho", "Li Yongho", "KIM Jong Un", "J. Un KIM", "宋磊", "李智妍", "이지연", "서 성민", "Jeong Eun", "S. M. Seo",
    ]  # fmt: skip
    for q in queries:
        qp = prepare(analyse_name(q).variants)
        probe = KoreanProbe(qp)
        for name in listed:
            cp = prepare(analyse_name(name).variants)
            sim = name_similarity(qp, cp)[0]
            for floor in (0.5, 0.72, 0.82):
                assert probe.may_reach(cp, floor) or sim < floor, (q, name, sim, floor)


@pytest.mark.parametrize(
    ("query", "listed", "expected"),
    [
        ("C. MUN", "MUN, Cho'ng-Ch'o'l", "close_match"),  # an initial for a hyphenated given name, all of it
        ("S. KIM", "KIM, Sou-gwang", "close_match"),
        ("J. SMITH", "SMITH, John Paul", "close_match"),
        ("M. SMITH", "SMITH, John Paul", None),
    ],
)
def test_an_initial_stands_for_the_whole_given_name(query: str, listed: str, expected: str | None) -> None:
    s = NameScreener()
    s.add(1, "x", person("p", listed))
    assert outcome(s, query, 1) == expected


@pytest.mark.parametrize(
    ("query", "listed", "expected"),
    [
        # 汪涛 read in Japanese is "o to": its "o" is a syllable of a reading, not an initial the query wrote
        ("汪涛", "CENTER TO INVESTIGATE ORGANIZED CRIME", None),
        ("C. MUN", "MUN, Cho'ng-Ch'o'l", "close_match"),  # an initial written in Latin letters stays one
        ("N T HEATH", "HEATH, Noel Timothy", "close_match"),  # without dots too
        ("É. MACRON", "MACRON, Emmanuel", "close_match"),  # an accented Latin letter
        ("В. В. Путин", "PUTIN, Vladimir Vladimirovich", "close_match"),  # a Cyrillic letter before a dot is an initial
    ],
)
def test_only_initials_the_query_wrote_stand_for_names(query: str, listed: str, expected: str | None) -> None:
    s = NameScreener()
    s.add(1, "x", org("o", listed) if expected is None else person("p", listed))
    assert outcome(s, query, 1) == expected


def test_one_letter_syllables_of_a_reading_are_not_initials() -> None:
    """Which one-letter tokens are initials: the Latin letters the name wrote standing alone, never a reading's syllables."""
    readings = {v.tokens: v.initials for v in analyse_name("汪涛").variants}
    assert ("o", "to") in readings and readings[("o", "to")] == frozenset()
    assert all(v.initials == {"c"} for v in analyse_name("C. MUN").variants)
    assert all(not v.initials for v in analyse_name("오 민수").variants)  # 오 romanised "o": a syllable
    assert all(not v.initials for v in analyse_name("Центр по борьбе с коррупцией").variants)  # "с": a preposition
    assert all(v.initials == {"v"} for v in analyse_name("В. В. Путин").variants if "v" in v.tokens)


def test_cyrillic_schemes_do_not_split_words() -> None:
    """Ukrainian-only letters and the marks for ь / ъ left by the Russian schemes do not cut a word in two."""
    for text, word in (("Сніжана Чубай", "snizhana"), ("Юдина Агафья", "agafya"), ("Подъячев", "podyachev")):
        variants = analyse_name(text).variants
        assert all(len(t) > 2 for v in variants for t in v.tokens), [v.tokens for v in variants]
        assert any(word in v.tokens for v in variants)


@pytest.mark.parametrize(
    ("query", "listed", "kind", "expected"),
    [
        # ש and ח are two letters, not the digraph "sh": שחר is Shahar, not Suri
        ("מוחמד שחר", "SHAHAR, Muhammad", SubjectKind.PERSON, "match"),
        ("מוחמד שחר", "SURI, Muhammad", SubjectKind.PERSON, None),  # Suri has no ח (and no final yod)
        # Hebrew writes long vowels with yod and vav: the Latin word of the same skeleton must have them there
        ("מוחמד כרמי", "KARMI, Mohammed", SubjectKind.PERSON, "match"),
        ("מוחמד כרמי", "KARIM, Mohammed", SubjectKind.PERSON, None),  # no final i
        ("מוחמד כרמי", "KARMA, Mohammed", SubjectKind.PERSON, None),  # a yod is not an a
        ("רומי מחמוד", "MAHMOUD, Romi", SubjectKind.PERSON, "match"),
        ("רומי מחמוד", "MOHAMMED'S ARMY", SubjectKind.ORGANISATION, None),
        ("ישראל קדוש", "KADOSH, Israel", SubjectKind.PERSON, "match"),
        ("ישראל קדוש", "SAYARA AL-QUDS", SubjectKind.ORGANISATION, None),
        ("מחמוד גמליאל", "GAMLIEL, Mahmoud", SubjectKind.PERSON, "match"),
        ("מחמוד גמליאל-לוי", "GAMEL MOHAMED", SubjectKind.PERSON, None),  # Gamliel's yod and second l
        # a bet is a consonant (anyascii writes it v): סבח is not Shah
        ("מוחמד סבח", "SHAH, Mohammad", SubjectKind.PERSON, None),
        # a final he is a vowel letter, as before: משה is Moshe; a final yod is Mizrahi's i
        ("משה מזרחי", "MIZRAHI, Moshe", SubjectKind.PERSON, "match"),
        # a Latin word ending in u after a consonant has a final vav: סעד is Saad, not Sa'du
        ("מוחמד סעד", "SA'DU, Muhammad", SubjectKind.PERSON, None),
        ("מוחמד סעדו", "SA'DU, Muhammad", SubjectKind.PERSON, "match"),
    ],
)
def test_hebrew_letters_against_latin_spellings(query: str, listed: str, kind: SubjectKind, expected: str | None) -> None:
    s = NameScreener()
    s.add(1, "x", EntryDraft("p", kind, (), Party(names=(listed,))))
    assert outcome(s, query, 1) == expected


def test_hebrew_skeletons_read_letters_not_digraphs() -> None:
    assert skeleton("shr") == "sr"  # a Latin "sh" is one consonant
    assert skeleton("shr", True) == "shr"  # Hebrew ש ח ר: three
    assert skeleton("msh", True) == "ms" == skeleton("moshe")  # משה: the final he is a vowel letter
    assert skeleton("yhwdh", True) == "hd" == skeleton("yehuda")
    assert analyse_name("מוחמד סבח").variants[0].tokens == ("mwhmd", "svh")  # vav is w, bet v


def test_a_hebrew_name_lacking_the_family_name_is_no_match() -> None:
    """The family-name rule of names in Latin letters, for a name in Hebrew letters compared by skeleton."""
    s = NameScreener()
    s.add(1, "x", person("p", "BAABOOD, Sa'ad Muhammad"))
    s.add(2, "x", person("q", "SAAD, Muhammad"))
    assert outcome(s, "מוחמד סעד", 1) is None
    assert outcome(s, "Muhammad Saad", 1) is None  # as in Latin letters
    assert outcome(s, "מוחמד סעד", 2) == "match"
    s.add(3, "x", person("r", "AL-HARBI, Sa'ad Muhammad"))
    assert outcome(s, "מוחמד סעד הרבי", 3) == "close_match"  # the family name is there, by skeleton


def test_a_legal_form_in_the_query_says_organisation() -> None:
    """A query of no stated kind that carries a company's legal form loses half the kind penalty against a listed person."""
    s = NameScreener()
    s.add(1, "x", person("p", "LANGA, Andrew"))
    s.add(2, "x", person("q", "LANGLOIS, Andre"))
    assert outcome(s, "Langlois Andre S.A.R.L.", 1) is None  # 0.82 before
    hit = next(h for h in s.screen(ScreenQuery("Andre Langlois SARL")) if h.entry_id == 2)
    assert hit.outcome == "close_match"  # a company named after a listed person is still a hit
    assert any(f.name == "kind_mismatch" and "legal form (sarl)" in f.explanation for f in hit.features)
    assert outcome(s, "Andre Langlois", 2) == "match"
    assert outcome(s, "Andre Langlois SA", 2) == "match"  # "SA" may be a word of a name: says nothing


def test_a_name_with_a_legal_form_is_not_regrouped_as_a_chinese_persons() -> None:
    """ "Renta S.A.S." is a company: its words are not pinyin syllables of a Chinese person's name ("ren ta")."""
    for name in ("Renta S.A.S.", "KUITI HOLDING GROUP", "MOA SA"):
        assert not any(v.kind == "sino" for v in analyse_name(name).variants), name
    assert any(v.kind == "sino" for v in analyse_name("Renta").variants)  # no legal form: it may be a person's


def test_two_consonants_are_a_name_without_its_vowels_but_titles_are_not() -> None:
    s = NameScreener()
    s.add(1, "x", person("n", "Abdul Manan Niazi"))
    s.add(2, "x", person("d", "AL-DHARI, Harith S."))
    s.add(3, "x", org("m", "BEGEMOT MEDIA"))
    assert outcome(s, "Abdul Manan Nz", 1) in ("match", "close_match")  # Nz: Niazi without its vowels
    assert outcome(s, "BEGEMOT MD", 3) in ("match", "close_match")
    assert outcome(s, "Dr Harriet Sanders", 2) is None
    assert any(v.kind == "skeleton" for v in analyse_name("Umair NM").variants)
    for name in ("Dr Jane Smith", "Mrs Jane Smith", "Jane Smith Jr"):
        assert not any(v.kind == "skeleton" for v in analyse_name(name).variants), name
    # letters written with dots are an abbreviation, not a word without its vowels
    for name in ("MULTISERVICIOS S.A. DE C.V.", "K.T.M. TRADING"):
        assert not any(v.kind == "skeleton" for v in analyse_name(name).variants), name


def test_korean_compact_comparison_is_kept_per_name_and_unchanged() -> None:
    """The spellings of a Korean name and their rotations are keyed once per name; the comparison is the one made pair by pair."""
    from finguard.screening.model.names import korean_key
    from finguard.screening.service.similarity import (
        COMPACT_DISCOUNT,
        Prepared,
        _korean_compact,
        _korean_compact_equal,
        _rotations,
        prepare,
    )

    def reference(q: Prepared, c: Prepared) -> float:  # as it was written before: every pair of spellings, every rotation
        for fq in q.family or (q.tokens[0],):
            for fc in c.family or (c.tokens[0],):
                a, b = (fq, *q.tokens[1:]), (fc, *c.tokens[1:])
                kq = korean_key("".join(a))
                if any(kq == korean_key("".join(o)) and _korean_compact_equal(a, o) for o in _rotations(b)):
                    return COMPACT_DISCOUNT
        return 0.0

    names = ["이유진", "이지연", "김영진", "김명기", "박정식", "KIM, Yongjin", "Kim Myong Gi", "Lee Yujin", "Yu Jin Yi", "Jinyu Ri"]
    prepared = [p for n in names for p in prepare(analyse_name(n, "person").variants) if len(p.tokens) > 1]
    assert any(p.family for p in prepared)
    pairs = [(q, c) for q in prepared for c in prepared if q.korean or c.korean]
    assert sum(reference(q, c) > 0 for q, c in pairs) >= 10
    for q, c in pairs:
        assert _korean_compact(q, c) == reference(q, c), (q.tokens, q.family, c.tokens, c.family)


def test_arabic_letters_read_for_their_skeleton() -> None:
    """Two Arabic letters are never one Latin digraph; ``ظ`` is z; ``ث ذ ض`` get a second, Persian reading."""

    def skeletons(name: str) -> list[list[str]]:
        return [[skeleton(t) for t in v.tokens] for v in analyse_name(name).variants]

    assert skeletons("طاهر") == [["thr"]]  # ط + ه: Tahir, not the digraph th (Tr)
    assert skeletons("طه") == [["th"]]  # Taha
    assert skeletons("ساهر") == [["shr"]]  # Sahir; ش is still one letter
    assert skeletons("حافظ") == [["hfz"]]  # Hafiz, Hafez
    assert skeletons("عثمان") == [["tmn"], ["smn"]]  # Uthman, Othman; Usman, Osman
    assert skeletons("رضا") == [["rd"], ["rz"]]  # Rida; Reza
    assert skeletons("محمد علي") == [["mhmd", "l"]]  # no second reading without ث ذ ض ش ج
    assert skeletons("شاهين") == [["shn"], ["chn"]]  # French ش: Chahine
    assert skeletons("جمال") == [["jml"], ["gml"]]  # Egyptian ج: Gamal
    assert skeletons("امیر شادروان") == [["mr", "sdrn"]]  # not for a name in Persian letters (ی): Shadravan


def _arabic_screener() -> NameScreener:
    s = NameScreener()
    listed = ["Tahir Hamid Samman", "Zahir Nazim Kazimi", "Reza Arash Tehrani", "Usman Qasem Omran", "Abdul Ghafoor Sahal"]
    for i, name in enumerate(listed, 1):
        s.add(i, "x", person(f"ar{i}", name))
    s.add(9, "x", person("other", "Tarek Hamdi Sammour"))
    return s


@pytest.mark.parametrize(
    ("query", "entry"),
    [
        ("طاهر حامد السمان", 1),  # ط + ه, the article the list leaves out
        ("ظاهر ناظم كاظمي", 2),  # ظ as z
        ("رضا آرش تهرانی", 3),  # Persian: ض as z, ت + ه
        ("عثمان قاسم عمران", 4),  # ث as s (Usman)
        ("عبدالغفور سهل", 5),  # a theophoric name as one word, listed as two; س + ه
    ],
)
def test_arabic_script_names_match_their_latin_listing(query: str, entry: int) -> None:
    s = _arabic_screener()
    assert entry in s.candidate_entries(query)
    assert outcome(s, query, entry) == "match"
    assert outcome(s, query, 9) is None  # another name of like consonants is no hit


@pytest.mark.parametrize(
    ("query", "listed", "expected"),
    [
        # another family name sharing an ending, another given name sharing letters: other people
        ("Мирослав Гузенко", "RUDENKO, Miroslav", None),
        ("Marko Sahal", "SAHAL, Omar", None),
        ("Мирослав Руденко", "RUDENKO, Miroslav", "match"),
        ("Miroslav Rudenoko", "RUDENKO, Miroslav", "match"),  # a typo is one edit
        ("Mohammed Ali", "ALI, Muhammad", "close_match"),  # one sound key: one name spelled otherwise
        ("Khalid ALnMARFADI", "AL-MARFADI, Khalid", "close_match"),  # words run together by a typo
        ("Vladimir Putin", "PUTIN, Wladimir", "match"),
    ],
)
def test_other_names_are_not_misspellings(query: str, listed: str, expected: str | None) -> None:
    s = NameScreener()
    s.add(1, "x", person("p", listed))
    assert outcome(s, query, 1) == expected


def test_other_name_rule() -> None:
    from finguard.screening.service.similarity import other_name

    assert other_name("guzenko", "rudenko") and other_name("marko", "omar")
    assert not other_name("mohammed", "muhammad")  # the same first letter
    assert not other_name("abbb", "abboubi")  # no vowel after the first letter: a word without its vowels
    assert not other_name("alnmarfadi", "marfadi")  # the one inside the other
    assert not other_name("kurchenko", "iurchenko")  # one edit apart
    assert not other_name("ali", "eli")  # too short to tell


def test_one_word_without_a_legal_form_is_not_a_company_lacking_words(more: NameScreener) -> None:
    """MOBARAKEH COMPANY names a company with a word left out; MOBARAKEH alone may be anyone (a person, ADLER for ADLER BG AD)."""
    assert outcome(more, "MOBARAKEH COMPANY", 9) == "close_match"
    assert outcome(more, "MOBARAKEH", 9) is None


def test_a_shared_sound_key_lifts_only_spellings_whose_first_vowels_agree() -> None:
    from finguard.screening.model.names import phonetic_key
    from finguard.screening.service.similarity import token_similarity

    def sim(a: str, b: str) -> float:
        return token_similarity(a, b, phonetic_key(a), phonetic_key(b))

    assert sim("lisa", "luis") < 0.9 and sim("singh", "shang") < 0.9  # other names that sound alike
    assert sim("mohammed", "muhammad") == 0.9 and sim("oryna", "orina") == 0.9 and sim("yusuf", "yousef") == 0.9
    assert sim("hmd", "hamed") == 0.9  # a word without its vowels: lifted as before
    s = NameScreener()
    s.add(1, "x", org("o", "JANE SHANG CO., LIMITED"))
    s.add(2, "x", person("p", "ALI, Muhammad"))
    s.add(3, "x", person("y", "ALI, Yusuf"))
    assert outcome(s, "Jane Singh", 1) is None
    assert outcome(s, "Mohammed Ali", 2) == "close_match"
    assert outcome(s, "Yousef Ali", 3) == "close_match"


def test_korean_probe_keeps_each_listed_names_side_and_answers_alike() -> None:
    """The probe's view of a listed name is computed once and kept on it; kept or not, the answers are the same."""
    from finguard.screening.service.similarity import KoreanProbe, prepare

    listed = {name: prepare(analyse_name(name).variants) for name in ("Pak Jong Sik", "LEE, Ji Yeon", "KIM Jong Un", "宋磊")}
    answers = {}
    for q in ("박정식", "이지연", "김정은"):
        probe = KoreanProbe(prepare(analyse_name(q).variants))
        first = {name: probe.may_reach(cp, 0.72) for name, cp in listed.items()}
        assert {name: probe.may_reach(cp, 0.72) for name, cp in listed.items()} == first  # from the kept sides
        assert {name: probe.may_reach(prepare(analyse_name(name).variants), 0.72) for name in listed} == first  # fresh
        answers[q] = {name for name, reach in first.items() if reach}
    assert any(p.probe_side is not None for cp in listed.values() for p in cp)
    assert answers == {"박정식": {"Pak Jong Sik"}, "이지연": {"LEE, Ji Yeon"}, "김정은": {"KIM Jong Un"}}


@pytest.mark.parametrize(
    ("query", "listed", "expected"),
    [
        ("Akça Ltd.", "ACA LTDA.", None),  # three letters say too little, even with the same legal form
        ("ACA Ltd.", "ACA LTDA.", "match"),
        ("TAWAF LTD", "TAWAFUK LTD", "close_match"),  # four letters and more, the same legal form: as before
    ],
)
def test_a_short_company_word_spelled_otherwise_is_not_a_hit(query: str, listed: str, expected: str | None) -> None:
    s = NameScreener()
    s.add(1, "x", org("o", listed))
    assert outcome(s, query, 1) == expected


# -- #16 eighth pass (precision): a namesake's firm, a tiny skeleton lifted by a legal form --------------------------


@pytest.fixture(scope="module")
def firms() -> NameScreener:
    s = NameScreener()
    s.add(1, "x", org("marshall", "MARSHALL CAPITAL"))
    s.add(2, "x", org("boyle", "BOYLE CHEMICAL CO., LTD."))
    s.add(3, "x", org("mob", "MOBARAKEH STEEL COMPANY"))
    s.add(4, "x", org("mahrous", "MAHROUS TRADING GROUP"))
    s.add(5, "x", org("wolf", "WOLF HOLDING COMPANY"))
    s.add(6, "x", org("king", "KING ROMANS GROUP COMPANY LTD"))
    s.add(7, "x", org("seven", "SEVEN SEA GOLDEN GENERAL TRADING LLC"))
    s.add(8, "x", org("hill", "WATER HILL CORP."))
    s.add(9, "x", org("iberia", "COMPANIA DE IMPORTACION Y EXPORTACION IBERIA"))
    for i in range(60):  # the kept words are rare on the lists, the generic ones common, as on the real ones
        generic = "TRADING" if i % 2 else "STEEL"
        s.add(100 + i, "x", org(f"f{i}", f"{chr(97 + i % 26)}{chr(97 + i // 26)}filler {generic} COMPANY"))
    return s


@pytest.mark.parametrize(
    ("query", "entry", "expected"),
    [
        ("Marshall Group", 1, None),  # the listed name has no legal form: a firm named after another Marshall
        ("Marshall PLC", 1, None),
        ("Boyle Group", 2, None),  # "group" is not the listed CO., LTD.
        ("MOBARAKEH COMPANY", 3, "close_match"),  # the listed name's own legal form, a word left out: as before
        ("MAHROUS GROUP", 4, "close_match"),  # the same word, though "group" is no legal form of its own
    ],
)
def test_one_word_and_a_legal_form_the_listed_name_lacks_is_not_a_company_lacking_words(
    firms: NameScreener, query: str, entry: int, expected: str | None
) -> None:
    assert outcome(firms, query, entry) == expected


@pytest.mark.parametrize(
    ("query", "entry"),
    [
        ("Seven Ltd", 7),  # four words left out: a firm named otherwise
        ("Seven Şti.", 7),
        ("Compañía Iberia S.A.U", 9),  # COMPANIA is a legal form's word, no name: one word, two left out
    ],
)
def test_one_word_and_a_legal_form_is_no_firm_lacking_more_words(firms: NameScreener, query: str, entry: int) -> None:
    """#16 stop 23: one word and a legal form stands for a longer listed firm only when one word of its name at most is
    left out (MOBARAKEH COMPANY, MAHROUS GROUP above, still close matches; MOA SA for MOA NICKEL SA in test_screening)."""
    assert outcome(firms, query, entry) is None
    assert outcome(firms, "MOBARAKEH COMPANY", 3) == "close_match"
    assert outcome(firms, "King Ltd", 6) == "close_match"  # ROMANS alone left out (GROUP COMPANY LTD: its legal forms)


def test_russian_inc_and_group_are_legal_forms() -> None:
    """Faker's and Russia's "Владимиров Инк" is a firm, not a person's name "Vladimirov Ink" (VENKOV, Vladimir)."""
    assert analyse_name("Владимиров Инк").legal_forms == ("incorporated",)
    assert analyse_name("Петров Групп").legal_forms == ("group",)
    s = NameScreener()
    s.add(1, "x", person("v", "VENKOV, Vladimir"))
    assert outcome(s, "Владимиров Инк", 1) is None


def test_a_tiny_skeleton_is_no_hit_even_with_an_equal_legal_form(firms: NameScreener) -> None:
    """וולף (Wolf, skeleton ``lf``) says too little to be WOLF HOLDING COMPANY; an equal legal form (+0.02) does not make it one."""
    from finguard.screening.service.qualifiers import LEGAL_FORM_MATCH
    from finguard.screening.service.similarity import HEBREW_TINY_CAP

    assert HEBREW_TINY_CAP + LEGAL_FORM_MATCH < 0.82  # the default close_match
    assert outcome(firms, "וולף Inc", 5) is None
    assert outcome(firms, "וולף", 5) is None
    s = NameScreener()
    s.add(1, "x", org("t", "TAWAFUK LTD"))
    assert outcome(s, "TWFK LTD", 1) == "close_match"  # a Latin word written without its vowels: as before


def test_other_names_starting_with_the_same_letter() -> None:
    """Three edits apart and two consonants other: another name; one consonant other or none: a spelling of one."""
    from finguard.screening.service.similarity import other_name

    assert other_name("teslenko", "telizhenko") and other_name("jones", "jorge") and other_name("leonel", "leonardo")
    assert not other_name("serhiy", "sergei")  # Ukrainian and Russian spellings: one consonant other (h / g)
    assert not other_name("volodymyr", "vladimir") and not other_name("zhuravlyov", "zuravlev")
    assert not other_name("gonzales", "gonsalez")  # two edits: a misspelling
    s = NameScreener()
    s.add(1, "x", person("t", "TELIZHENKO, Andriy"))
    s.add(2, "x", person("v", "IVANOV, Sergei"))
    assert outcome(s, "Андрій Тесленко", 1) is None
    assert outcome(s, "Andriy Telizhenko", 1) == "match"
    assert outcome(s, "Serhiy Ivanov", 2) == "close_match"  # as before


def test_a_hebrew_tsadi_is_also_read_z() -> None:
    """צ is ISO 259's z and how Israelis write it (Zur, Zvi, Katz); s, the Arabic sad it also writes (נאצר), stays."""
    from finguard.screening.model.scripts import hebrew

    assert hebrew("יואל צור") == ["ywl swr", "ywl zwr"]
    assert hebrew("טליה כץ") == ["tlyh ks", "tlyh kz"]
    assert hebrew("יוסף לוי") == ["ywsp lwy"]  # no tsadi: one reading
    s = NameScreener()
    s.add(1, "x", EntryDraft("z", SubjectKind.PERSON, (), Party(names=("יואל צור",))))
    assert outcome(s, "yw'l zwr", 1) == "match"  # ICU's letter-by-letter romanisation of the listed Hebrew
    assert hebrew("נאצר") == ["nsr", "nzr"]  # the s reading stays first


# -- #16 ninth pass (precision): honorific titles, words of the query's own -------------------------------------------


def test_names_equal_but_for_an_honorific_title_are_equal() -> None:
    """Dr Sally Jones is a namesake of JONES, Sally (similarity 1.0, said in the explanation), not a near spelling."""
    from finguard.screening.model.names import HONORIFICS

    assert {"dr", "mrs", "haji", "mullah"} <= HONORIFICS and not {"sheikh", "king", "pan"} & HONORIFICS
    s = NameScreener()
    s.add(1, "x", person("j", "JONES, Sally"))
    s.add(2, "x", person("z", "AL ZAWAHIRI, Dr. Ayman"))
    s.add(3, "x", person("k", "KREKAR, Mullah"))
    hit = next(h for h in s.screen(ScreenQuery("Dr Sally Jones")) if h.entry_id == 1)
    assert hit.features[0].value == 1.0 and "honorific title 'dr'" in hit.features[0].explanation
    hit = next(h for h in s.screen(ScreenQuery("Ayman al Zawahiri")) if h.entry_id == 2)
    assert hit.features[0].value == 1.0
    hit = next(h for h in s.screen(ScreenQuery("Haji Ayman al Zawahiri")) if h.entry_id == 2)
    assert hit.features[0].value == 1.0 and "'haji dr'" in hit.features[0].explanation
    assert outcome(s, "Krekar", 3) is None  # one word left: a title is not dropped to make a one-word name equal
    assert outcome(s, "Dr Sally Jonas", 1) == "close_match"  # otherwise the title is a word as before


@pytest.mark.parametrize(
    ("query", "listed", "expected"),
    [
        # a word of its own, and the listed Martin written otherwise: a close match for review, never no hit (an added
        # word and a changed letter must not pass a listed name)
        ("Jacinto Becerra Marin", "BECERRA, Martin", "close_match"),
        ("Juan Manuel Bas Torrent", "TORRES, Manuel J", "close_match"),
        ("Jacinto Becerra Martin", "BECERRA, Martin", "close_match"),  # the listed words as listed: as before
        ("Mohamed Ali Hassan", "HASAN, Mohamed", "close_match"),  # Hassan and Hasan sound alike: a spelling of one name
        ("Becerra Marin", "BECERRA, Martin", "match"),  # no word of its own: a misspelling, as before
    ],
)
def test_words_of_its_own_and_a_listed_word_written_otherwise_is_a_close_match_at_most(
    query: str, listed: str, expected: str | None
) -> None:
    s = NameScreener()
    s.add(1, "x", person("p", listed))
    assert outcome(s, query, 1) == expected
    if query.startswith(("Jacinto Becerra Marin", "Juan")):
        hit = next(h for h in s.screen(ScreenQuery(query)) if h.entry_id == 1)
        assert hit.score == Thresholds().close_match and any("for review at most" in f.explanation for f in hit.features)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Inversiones MNL", "close_match"),  # a word without its vowels and a word left out: for review, not a match
        ("Inversiones Iris MNL", "match"),  # one of them alone: as before
        ("Inversiones Manuela", "match"),
    ],
)
def test_a_word_without_its_vowels_and_a_word_left_out_is_a_close_match_at_most(query: str, expected: str | None) -> None:
    s = NameScreener()
    s.add(1, "x", org("o", "INVERSIONES IRIS MANUELA"))
    assert outcome(s, query, 1) == expected


def test_a_two_consonant_hebrew_word_does_not_stand_for_a_longer_skeleton() -> None:
    """טל (``tl``) is Tal, not Talib (``tlb``): Hebrew would have written the b; Tal and Sons is a hit as before."""
    s = NameScreener()
    s.add(1, "x", org("t", "TALIB AND SONS PTY LTD"))
    assert outcome(s, "טל and Sons", 1) is None
    assert outcome(s, "Tal and Sons", 1) == "close_match"  # Latin letters: a near spelling, as before


def test_a_kanji_given_name_is_read_every_way_people_read_it() -> None:
    """幹 is Miki as well as Tsuyoshi, 淳 Jun as well as Atsushi, 聡太郎 Soutarou as well as Satoshi Tarou (#16)."""
    pytest.importorskip("cutlet")
    from finguard.screening.model.scripts import japanese

    assert "hayashi miki" in japanese("林 幹")
    assert "mori jun" in japanese("森淳")  # no space: the family name is the tagger's
    assert "goto sotaro" in japanese("後藤 聡太郎")
    assert not any("yoshiko" in r for r in japanese("太田裕美子"))  # not two given names run together (hiroshi + yoshiko)
    s = NameScreener()
    s.add(1, "x", person("h", "Miki Hayashi"))
    s.add(2, "x", person("m", "森淳"))
    s.add(3, "x", person("g", "Sotaro Goto"))
    s.add(4, "x", person("y", "吉田聡太郎"))
    assert 1 in s.candidate_entries("林 幹") and outcome(s, "林 幹", 1) == "match"
    assert 2 in s.candidate_entries("Jun Mori") and outcome(s, "Jun Mori", 2) == "match"
    assert outcome(s, "後藤 聡太郎", 3) == "match"
    assert outcome(s, "Sotaro Yoshida", 4) == "match"


def test_the_arabic_article_is_not_the_name_ali() -> None:
    """``آل`` / ``ال`` (read ``al``) and ``علي`` (read ``ly``) both have the skeleton ``l``: the article pairs with a
    listed article, never with ``Ali``, nor stands as an initial for a listed word of an l; ``Ali`` is found as before."""
    from finguard.screening.service.similarity import ARTICLE_SKELETON, prepare

    def skel(name: str) -> list[tuple[str, ...]]:
        return [p.skel for p in prepare(analyse_name(name).variants) if p.kind == "skeleton"]

    assert skel("حسني الصالحي") == [("hsn", ARTICLE_SKELETON, "slh")]
    assert skel("علي رضا") == [("l", "rd"), ("l", "rz")]
    s = NameScreener()
    s.add(1, "x", person("a", "HUSAIN, Ali Saleh"))
    s.add(2, "x", person("b", "AL-SALIHI, Husni"))
    s.add(3, "x", person("c", "AL-AHMAD, Riyad"))
    s.add(4, "x", person("d", "LOBILLA, Shaykh Omar"))
    assert outcome(s, "حسني الصالحي", 1) == "close_match"  # Husni al-Salihi: Ali Saleh Husain's skeletons, not his name (was 0.97, a match)
    assert outcome(s, "حسني الصالحي", 2) == "match"  # the article pairs with the listed article
    assert outcome(s, "علي رضا احمدي", 3) is None  # Ali Reza Ahmadi is not Riyad al-Ahmad (was 0.97, a match)
    assert outcome(s, "رياض الاحمد", 3) == "match"  # Riyad al-Ahmad
    assert outcome(s, "مرعي آل الشيخ", 4) is None  # the article no initial of Lobilla (was a close match)
    assert outcome(s, "عمر علي حسين", 1) is None and outcome(s, "صالح علي حسين", 1) == "match"  # Ali as a name: as before


def test_a_final_heh_is_read_as_a_vowel_too() -> None:
    """A word's final ``ه`` after a consonant is a vowel as often as a letter (عبده Abdu / Abduh, فاطمه Fatima / Fatemeh):
    the name is read once more without it; after a long vowel (شاه Shah), in a short word (طه Taha) and in الله it stays."""
    from finguard.screening.model.scripts import arabic_prepare, arabic_readings

    assert arabic_readings(arabic_prepare("عبدالله عبده")) == ["`bdallh `bdah", "`bdallh `bd"]
    assert arabic_readings(arabic_prepare("فاطمه")) == ["fatmh", "fatm"]
    assert arabic_readings(arabic_prepare("شاه")) == ["shah", "chah"]  # no reading without the h
    assert arabic_readings(arabic_prepare("طه")) == ["tah"]
    assert arabic_readings(arabic_prepare("عبد الله")) == ["`bdallh"]
    s = NameScreener()
    s.add(1, "x", person("a", "'ABDU, Abdallah"))
    s.add(2, "x", person("f", "ZAHRA, Fatima"))
    for i in range(150):  # many Abdallahs: the skeleton bdh of Abduh finds none of them, bd finds ABDU
        s.add(10 + i, "x", person(f"n{i}", f"ABDALLAH, {chr(65 + i % 26)}{chr(97 + i // 26)}mir"))
    assert 1 in s.candidate_entries("عبدالله عبده") and outcome(s, "عبدالله عبده", 1) == "match"
    assert outcome(s, "فاطمه زهرا", 2) in ("match", "close_match")


def test_a_joined_abd_al_compound_is_also_read_as_two_words() -> None:
    """``عبد الوفاء`` is read as one word (``bdalwfa``, as lists write Abdallah); its second part was an alternative for
    the same place, and Abd was lost: among many Wafa, ``WAFA, Abdul`` did not reach scoring. It is also read as two
    words, Abd with its article (``bdal``: Abdul, Abdel) and the second part."""
    from finguard.screening.service.matcher import _spellings
    from finguard.screening.service.similarity import prepare

    spellings = _spellings(prepare(analyse_name("عبد الوفاء").variants))
    assert ("skeleton", [("bdal", "bd"), ("wfa",)]) in spellings
    assert ("skeleton", [("bdalwfa", "wfa")]) in spellings
    s = NameScreener()
    s.add(1, "x", person("w", "WAFA, Abdul"))
    for i in range(150):
        s.add(10 + i, "x", person(f"n{i}", f"WAFA, {chr(65 + i % 26)}{chr(97 + i // 26)}sir"))
    assert 1 in s.candidate_entries("عبد الوفاء")


def test_french_dj_is_one_arabic_letter() -> None:
    """French transcriptions write ``ج`` as ``dj`` (Djamel, Hadj): the listed word is also found by its skeleton with
    ``dj`` read as one consonant, so ``جمال`` (``jml``) reaches ``DJAMEL`` among many other names."""
    from finguard.screening.model.names import other_skeletons

    assert "jml" in other_skeletons("djamel") and "hj" in other_skeletons("hadj")
    s = NameScreener()
    s.add(1, "x", person("d", "BOUZID, Djamel"))
    s.add(2, "x", person("o", "BOUZID, Omar"))
    assert 1 in s.candidate_entries("جمال")  # by the given name alone (without the rule: djml, no candidate)
    assert outcome(s, "جمال بوزيد", 1) in ("match", "close_match")


def test_a_short_arabic_name_with_every_word_the_same_is_a_close_match() -> None:
    """``طارق عزيز`` (``trk zz``) has four consonants, too few for its skeleton to raise a hit alone (0.8), yet every word
    is a word of ``AZIZ, Tariq``: written in Latin letters the name is a hit, so in Arabic letters it is a close match
    (never a match). A word one consonant off or a word fewer keeps the old cap, and so does an organisation (``علي
    پارسا`` is not ``PARS OIL CO.``, whose words have the skeletons ``prs l``)."""
    s = NameScreener()
    s.add(1, "x", person("t", "AZIZ, Tariq"))
    s.add(2, "x", person("m", "HILAL, Musa"))
    s.add(3, "x", org("p", "PARS OIL CO."))
    s.add(4, "x", person("k", "KADIR, Musa"))
    assert outcome(s, "طارق عزيز", 1) == "close_match"
    assert outcome(s, "موسى هلال", 2) == "close_match"
    assert outcome(s, "موسى", 2) is None  # one word
    assert outcome(s, "موسى هلاق", 2) is None  # hlk / hl: a word one consonant off
    assert outcome(s, "علي پارسا", 3) is None  # an organisation
    assert outcome(s, "Tariq Aziz", 1) == "match"  # in Latin letters, as before


def test_a_latin_listed_word_is_compared_as_arabic_letters_read_it() -> None:
    """The index finds ``ABBES, Youcef`` by یوسف عباس through the French ``c`` read as s (``sf``), and ``FATHI, Ahmad`` by
    أحمد فتحي through t + h (``fth``), but the comparison read only the Latin skeletons (``cf``, ``ft``): found and scored
    low (0.58, 0.71). The listed word is now also compared as Arabic letters read it."""
    from finguard.screening.service.similarity import latin_read_as_arabic, prepare

    listed = prepare(analyse_name("ABBES, Youcef").variants)[0]
    assert latin_read_as_arabic(listed, ("sf", "bs")) == ("sf", "bs")
    assert latin_read_as_arabic(listed, ("cf", "bs")) is None  # nothing to change
    s = NameScreener()
    s.add(1, "x", person("y", "ABBES, Youcef"))
    s.add(2, "x", person("f", "FATHI, Ahmad"))
    s.add(3, "x", person("k", "YACOUB, Adam"))
    assert outcome(s, "یوسف عباس", 1) == "close_match"
    assert outcome(s, "أحمد فتحي", 2) == "close_match"
    assert outcome(s, "آدم يعقوب", 3) == "close_match"
    assert outcome(s, "یوسف عباس", 3) is None


def test_iso9_reads_ukrainian_ye_as_e() -> None:
    """ISO 9 (GOST 7.79 A) writes є as ê and ш as š: ``Єлисавета Єрошенко`` is ``Elisaveta Erosenko`` without the marks."""
    assert any(v.tokens == ("elisaveta", "erosenko") for v in analyse_name("Єлисавета Єрошенко").variants)
    s = NameScreener()
    s.add(1, "x", person("uk", "Єлисавета Єрошенко"))
    hits = s.screen(ScreenQuery("Elisaveta Erosenko"))
    assert [h.entry_id for h in hits] == [1] and hits[0].outcome == "match"
    s.add(2, "x", person("uk-latin", "Elisaveta Erosenko"))
    assert 2 in {h.entry_id for h in s.screen(ScreenQuery("Єлисавета Єрошенко"))}  # and the reverse


def test_entry_score_does_not_hang_on_which_alias_aligns_best() -> None:
    """The word-level rules weigh each of an entry's names within reach, not only the best-aligned one: among spellings of
    ``ALCIDES MAGANA, Ramon``, ``ALCIDES MAGANE, Ramon`` holds every word of ``Ramon MAGANE`` (a close match, the
    first of two family names left out), though a list where ``alcides`` is common aligns another alias a hair better."""
    s = NameScreener()
    names = ("RAMON MAGANA, Alcides", "ALCIDES MAGANA, Ramon", "ALCIDES MAGANE, Ramon", "MAGNA ALCIDEDES, Ramon")
    s.add(1, "x", person("magana", *names))
    for i in range(200):
        s.add(10 + i, "x", person(f"f{i}", f"ALCIDES Zq{i:03d}x Wq{i:03d}y"))
    hits = [h for h in s.screen(ScreenQuery("Ramon MAGANE")) if h.entry_id == 1]
    assert [(h.listed_name, h.outcome) for h in hits] == [("ALCIDES MAGANE, Ramon", "close_match")]
