"""The command line's file commands (custcare score / queue / data) and custcare.io."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("python_calamine")
pytest.importorskip("xlsxwriter")

from custcare import __version__  # noqa: E402
from custcare.__main__ import main  # noqa: E402
from custcare.churn import RiskBand  # noqa: E402
from custcare.errors import ColumnError  # noqa: E402
from custcare.io import FileConfig, Source, load_config, load_files, preset  # noqa: E402

AS_OF = "2026-05-09"
BUYERS = ["淘气的猫咪", "tb_8812345", "小明爱喝茶"]  # 买家会员名: personal data, never printed
ORDER_IDS = ["3785512345678901234", "3785512345678901235", "0012345678901234567",
             "3785512345678901237", "3785512345678901238"]  # fmt: skip


def _taobao() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "订单编号": ORDER_IDS,
            "买家会员名": [BUYERS[0], BUYERS[0], BUYERS[1], BUYERS[2], BUYERS[1]],
            "买家实际支付金额": [99.0, 268.0, 9.9, 39.0, 188.0],
            "订单状态": [
                "交易成功",
                "交易成功",
                "交易关闭",
                "卖家已发货，等待买家确认",
                "交易成功",
            ],
            "订单创建时间": [
                "2026-01-05 10:00:00",
                "2026-03-01 21:15:00",
                "2026-03-02 08:00:00",
                "2026-05-08 12:00:00",
                "2026-04-20 09:30:00",
            ],
            "订单付款时间": ["2026-01-05 10:01:00", "2026-03-01 21:16:00", "", "", ""],
        }
    )


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _no_personal_data(*texts: str) -> None:
    for text in texts:
        for buyer in BUYERS:
            assert buyer not in text


# --- acceptance: CDNOW from a file to Excel ------------------------------------------------


def test_cdnow_sample_written_then_scored_to_excel_and_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "cdnow.csv"
    code, out, _ = _run(["data", "cdnow", "--out", str(data)], capsys)
    assert code == 0 and "6,919 transactions of 2,357 customers" in out
    for name in ("scores.xlsx", "scores.csv"):
        target = tmp_path / name
        argv = ["score", str(data), "--preset", "cdnow", "--as-of", "1998-06-30"]
        code, out, _ = _run([*argv, "--timezone", "UTC", "--out", str(target)], capsys)
        assert code == 0, out
        assert "orders: 6,919 rows in; 6,919 counted, 0 not counted, 0 rejected" in out
        assert "Scored 2,357 customers as of 1998-06-30T23:59:59+00:00" in out
        assert f"Wrote {name}: 2,357 rows" in out
    excel = pd.read_excel(tmp_path / "scores.xlsx", engine="calamine", dtype=str)
    csv = pd.read_csv(tmp_path / "scores.csv", dtype=str, encoding="utf-8-sig")
    assert len(excel) == len(csv) == 2357
    assert excel["customer_id"].iloc[0] == csv["customer_id"].iloc[0] == "00004"
    assert set(excel["churn.risk.band"]) <= {band.value for band in RiskBand}
    assert excel["churn.risk.band"].nunique() >= 3
    assert excel["churn.risk.reason_codes"].str.contains("churn.p_no_purchase").all()
    assert list(excel.columns) == list(csv.columns)


def test_done_when_one_command_writes_excel_and_the_html_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15's done-when, with the CDNOW sample (the docs show master: same command)."""
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(["data", "cdnow", "--out", "cdnow.csv"], capsys)
    assert code == 0
    assert "--out scores.xlsx --out report.html" in out  # what to run next
    argv = ["score", "cdnow.csv", "--preset", "cdnow", "--as-of", "1998-06-30"]
    code, out, err = _run([*argv, "--out", "scores.xlsx", "--out", "report.html"], capsys)
    assert code == 0, err
    assert "Wrote scores.xlsx: 2,357 rows" in out
    assert "Wrote report.html: the report, with panels for 50 customers" in out
    excel = pd.read_excel("scores.xlsx", engine="calamine", dtype=str)
    assert len(excel) == 2357
    page = Path("report.html").read_text(encoding="utf-8")
    assert page.count('<section class="customer"') == 50
    assert page.count("data:image/png;base64,") == 4  # no complaints file: no queue plot
    assert "The 50 customers most at stake of 2,357" in page
    assert "No open complaints or recent negative reviews." in page
    assert len(page) < 1_000_000
    # a first panel's customer is in the Excel file, with the same churn band
    first = page.split('<section class="customer" id="c-', 1)[1].split('"', 1)[0]
    row = excel[excel["customer_id"] == first]
    assert len(row) == 1
    band = row["churn.risk.label_en"].iloc[0]
    panel = page.split(f'id="c-{first}"', 1)[1].split("</section>", 1)[0]
    assert f'<span class="en">{band}</span>' in panel


def test_score_top_sets_the_panels_and_taobao_ids_are_hashed_in_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    _taobao().to_csv("orders.csv", index=False)
    argv = ["score", "orders.csv", "--preset", "taobao", "--as-of", AS_OF]
    code, out, err = _run([*argv, "--churn-method", "gap", "--top", "2", "--out", "r.html"], capsys)
    assert code == 0, err
    assert "with panels for 2 customers" in out
    page = Path("r.html").read_text(encoding="utf-8")
    assert page.count('<section class="customer"') == 2
    _no_personal_data(out, err, page)  # 买家会员名 are the customer ids: shown hashed
    assert "3785512345678901234" in page  # order numbers are evidence ids, not personal


# --- the Taobao/Tmall seller-centre export --------------------------------------------------


def test_taobao_export_in_gbk_is_read_as_gb18030_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = tmp_path / "订单报表.csv"
    _taobao().to_csv(orders, index=False, encoding="gbk")
    out_file = tmp_path / "scores.json"
    argv = ["score", str(orders), "--preset", "taobao", "--as-of", AS_OF]
    code, out, err = _run([*argv, "--timezone", "Asia/Shanghai", "--out", str(out_file)], capsys)
    assert code == 1  # three customers cannot identify the BG/NBD model: say what to do
    assert "cannot identify the parameters" in err and "--churn-method gap" in err
    argv = [*argv, "--churn-method", "gap"]
    code, out, err = _run([*argv, "--timezone", "Asia/Shanghai", "--out", str(out_file)], capsys)
    assert code == 0, err
    assert "read as GB18030 (it is not valid UTF-8" in out
    # 交易成功 counts; 交易关闭 and 卖家已发货 are orders that do not count.
    assert "orders: 5 rows in; 3 counted, 2 not counted, 0 rejected" in out
    rows = json.loads(out_file.read_text(encoding="utf-8"))
    assert sorted(r["customer_id"] for r in rows) == sorted(BUYERS)
    by_buyer = {r["customer_id"]: r for r in rows}
    assert by_buyer[BUYERS[0]]["loyalty.rfm.monetary"] == pytest.approx(367.0)
    _no_personal_data(out, err)


def test_a_stated_encoding_that_is_wrong_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = tmp_path / "orders.csv"
    _taobao().to_csv(orders, index=False, encoding="gbk")
    argv = ["score", str(orders), "--preset", "taobao", "--as-of", AS_OF, "--encoding", "utf-8"]
    code, _, err = _run([*argv, "--out", str(tmp_path / "s.csv")], capsys)
    assert code == 1
    assert "the file is not utf-8" in err and "[rule=bad_encoding]" in err


def test_utf8_with_byte_order_mark_finds_the_first_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = tmp_path / "orders.csv"
    _taobao().to_csv(orders, index=False, encoding="utf-8-sig")
    argv = ["score", str(orders), "--preset", "taobao", "--as-of", AS_OF, "--churn-method", "gap"]
    code, out, err = _run([*argv, "--out", str(tmp_path / "s.csv")], capsys)
    assert code == 0, err  # 订单编号 is found although the file starts with a BOM
    assert "GB18030" not in out


def test_excel_export_keeps_18_digit_order_numbers_written_as_text(tmp_path: Path) -> None:
    orders = tmp_path / "orders.xlsx"
    _taobao().to_excel(orders, index=False, engine="xlsxwriter")
    loaded = load_files(Source(str(orders)), config=preset("taobao"), timezone="Asia/Shanghai")
    assert loaded.report.orders_in == 5
    assert set(ORDER_IDS[:2]) <= set(loaded.batch.order_ids.tolist())


def test_excel_order_numbers_stored_as_numbers_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = _taobao()
    frame["订单编号"] = [int(i) for i in ORDER_IDS]  # Excel keeps 15 digits of a number
    orders = tmp_path / "orders.xlsx"
    frame.to_excel(orders, index=False, engine="xlsxwriter")
    argv = ["score", str(orders), "--preset", "taobao", "--as-of", AS_OF]
    code, out, err = _run([*argv, "--out", str(tmp_path / "s.xlsx")], capsys)
    assert code == 1
    assert "订单编号: row 0, 1, 2, 3, 4 (5 rows): ids stored as numbers" in err
    assert "[rule=id_stored_as_number]" in err
    assert ORDER_IDS[0][:12] not in err
    _no_personal_data(out, err)


def test_excel_small_numeric_ids_are_read_as_text_with_a_note(tmp_path: Path) -> None:
    frame = _taobao()
    frame["订单编号"] = [101, 102, 103, 104, 105]
    orders = tmp_path / "orders.xlsx"
    frame.to_excel(orders, index=False, engine="xlsxwriter")
    loaded = load_files(Source(str(orders)), config=preset("taobao"), timezone="Asia/Shanghai")
    assert sorted(loaded.batch.order_ids.tolist()) == ["101", "102", "105"]
    assert any("were numbers in Excel, read as text" in note for note in loaded.notes)


# --- configs, times and databases -----------------------------------------------------------


def _plain_orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "单号": ["A1", "A2", "A3", "A4"],
            "客户": ["c1", "c1", "c2", "c3"],
            "金额": [10.0, 20.0, 30.0, 5.5],
            "下单时间": ["2026/01/02 10:00", "2026/02/03 11:00", "2026/03/04 12:00",
                     "2026/04/05 13:00"],
        }
    )  # fmt: skip


_TOML = """\
timezone = "Asia/Shanghai"
currency = "CNY"
time_format = "%Y/%m/%d %H:%M"

[orders]
order_id = "单号"
customer_id = "客户"
total = "金额"
placed_at = "下单时间"
"""


def test_a_toml_config_maps_columns_and_states_the_time_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders, config = tmp_path / "orders.csv", tmp_path / "custcare.toml"
    _plain_orders().to_csv(orders, index=False)
    config.write_text(_TOML, encoding="utf-8")
    out_file = tmp_path / "s.parquet"
    argv = [
        "score",
        str(orders),
        "--config",
        str(config),
        "--as-of",
        AS_OF,
        "--churn-method",
        "gap",
    ]
    code, out, err = _run([*argv, "--out", str(out_file)], capsys)
    assert code == 0, err
    assert "orders: 4 rows in; 4 counted" in out
    table = pd.read_parquet(out_file)
    assert sorted(table["customer_id"]) == ["c1", "c2", "c3"]
    assert isinstance(table["churn.risk.reason_codes"].iloc[0][0], str)  # lists stay lists


def test_a_time_that_does_not_match_the_format_names_rows_not_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = _plain_orders()
    frame.loc[2, "下单时间"] = "yesterday"
    orders, config = tmp_path / "orders.csv", tmp_path / "custcare.toml"
    frame.to_csv(orders, index=False)
    config.write_text(_TOML, encoding="utf-8")
    argv = ["score", str(orders), "--config", str(config), "--as-of", AS_OF]
    code, _, err = _run([*argv, "--out", str(tmp_path / "s.csv")], capsys)
    assert code == 1
    assert "下单时间: row 2 (1 row): text that is not a time in format '%Y/%m/%d %H:%M'" in err
    assert "yesterday" not in err


def test_a_misspelt_config_key_is_refused_by_name(tmp_path: Path) -> None:
    config = tmp_path / "custcare.toml"
    config.write_text(_TOML.replace("time_format", "time_fromat"), encoding="utf-8")
    with pytest.raises(ValueError, match="time_fromat") as exc:
        load_config(config)
    assert "Extra inputs are not permitted" in str(exc.value)


def test_a_yaml_config_equals_the_toml_one(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    toml, yaml = tmp_path / "c.toml", tmp_path / "c.yaml"
    toml.write_text(_TOML, encoding="utf-8")
    yaml.write_text(
        'timezone: Asia/Shanghai\ncurrency: CNY\ntime_format: "%Y/%m/%d %H:%M"\norders:\n'
        "  order_id: 单号\n  customer_id: 客户\n  total: 金额\n  placed_at: 下单时间\n",
        encoding="utf-8",
    )
    assert load_config(yaml) == load_config(toml)


def test_a_config_on_top_of_a_preset_replaces_its_tables(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[status_words]\n"已签收" = "completed"\n', encoding="utf-8")
    merged = load_config(config, base=preset("taobao"))
    assert merged.orders == preset("taobao").orders
    assert dict(merged.status_words) == {"已签收": "completed"}


def test_a_sqlite_table_is_read_by_path_and_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, config = tmp_path / "shop.sqlite", tmp_path / "custcare.toml"
    with sqlite3.connect(db) as con:
        _plain_orders().to_sql("orders", con, index=False)
    con.close()
    config.write_text(_TOML, encoding="utf-8")
    argv = [
        "score",
        f"{db}::orders",
        "--config",
        str(config),
        "--as-of",
        AS_OF,
        "--churn-method",
        "gap",
    ]
    code, out, err = _run([*argv, "--out", str(tmp_path / "s.csv")], capsys)
    assert code == 0, err
    assert "orders: 4 rows in; 4 counted" in out
    code, _, err = _run([*argv[:1], str(db), *argv[2:], "--out", str(tmp_path / "s.csv")], capsys)
    assert code == 2 and "is a database: name the table as shop.sqlite::TABLE" in err


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    _taobao().drop(columns=["订单状态"]).to_csv(orders, index=False)
    with pytest.raises(ColumnError, match=r"订单状态: .*has no such column") as exc:
        load_files(Source(str(orders)), config=preset("taobao"), timezone="Asia/Shanghai")
    assert exc.value.rule == "missing_column"


# --- the complaint queue --------------------------------------------------------------------


def test_queue_ranks_helpdesk_tickets_and_writes_the_work_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tickets = pd.DataFrame(
        {
            "ticket_id": ["T-1", "T-2", "T-3"],
            "requester_id": [BUYERS[0], BUYERS[1], BUYERS[0]],
            "created_at": ["2026-05-01 10:00", "2026-05-07 09:00", "2026-05-08 18:00"],
            "channel": ["phone", "电话", "chat"],
            "description": ["快递太慢了，非常失望", "退款一直没到账，客服也不回",
                            "质量很差，要退货"],
        }
    )  # fmt: skip
    path, out_file = tmp_path / "工单.csv", tmp_path / "queue.xlsx"
    tickets.to_csv(path, index=False)
    argv = ["queue", str(path), "--preset", "helpdesk", "--as-of", "2026-05-09T12:00"]
    code, out, err = _run([*argv, "--timezone", "Asia/Shanghai", "--out", str(out_file)], capsys)
    assert code == 0, err
    assert "complaints: 3 rows in; 3 kept, 0 rejected" in out
    assert "Which complaint first?  (3 open" in out
    queue = pd.read_excel(out_file, engine="calamine", dtype={"customer_id": str})
    assert list(queue["rank"]) == [1, 2, 3]
    assert sorted(queue["complaint_id"]) == ["T-1", "T-2", "T-3"]
    assert list(queue["level"]) == sorted(queue["level"])  # P1 first
    _no_personal_data(out, err)


def test_score_with_complaints_puts_the_queue_in_the_report_and_hash_ids_hides_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3"],
            "customer_id": BUYERS,
            "placed_at": ["2026-04-01 10:00", "2026-04-20 09:00", "2026-05-02 18:00"],
            "total": [120.0, 35.0, 68.0],
        }
    ).to_csv("orders.csv", index=False)
    pd.DataFrame(
        {
            "ticket_id": ["T-1", "T-2"],
            "requester_id": [BUYERS[0], BUYERS[2]],
            "created_at": ["2026-05-08 10:00", "2026-05-09 09:00"],
            "channel": ["phone", "chat"],
            "description": ["快递太慢了，非常失望", "质量很差，要退货"],
        }
    ).to_csv("tickets.csv", index=False)
    argv = ["score", "orders.csv", "--complaints", "tickets.csv", "--preset", "helpdesk"]
    argv += ["--timezone", "Asia/Shanghai", "--currency", "CNY", "--as-of", "2026-05-09T12:00"]
    argv += ["--churn-method", "gap"]
    code, _, err = _run([*argv, "--hash-ids", "--out", "hashed.html"], capsys)
    assert code == 0, err
    page = Path("hashed.html").read_text(encoding="utf-8")
    assert "<code>T-1</code>" in page and "<code>T-2</code>" in page
    assert "2 open complaints" in page
    assert 'id="plot-complaint_queue"' in page
    _no_personal_data(page)
    assert "快递太慢" not in page  # complaint texts stay out
    code, _, err = _run([*argv, "--out", "plain.html"], capsys)
    assert code == 0, err
    assert BUYERS[0] in Path("plain.html").read_text(encoding="utf-8")  # what --hash-ids hides


# --- options: exit 2 with one line, never a traceback ---------------------------------------


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--out", "r.pdf"], "--out: write .csv, .parquet, .xlsx, .json, .html, got 'r.pdf'"),
        (["--out", "s.csv", "--out", "./s.csv"], "--out s.csv is given twice"),
        (["--top", "-3", "--out", "r.html"], "--top: must be between 0 and 10,000, got -3"),
        (["--timezone", "Mars/Olympus", "--out", "s.csv"], "unknown time zone 'Mars/Olympus'"),
        (["--as-of", "next week", "--out", "s.csv"], "--as-of: expected a date (2026-05-09)"),
        (["--preset", "none", "--out", "s.csv"], "invalid choice: 'none'"),
        (["--encoding", "latin-1", "--out", "s.csv"], "invalid choice: 'latin-1'"),
        (["--out", "no/such/folder/s.csv"], "does not exist"),
        (["--config", "missing.toml", "--out", "s.csv"], "--config: no such file: missing.toml"),
    ],
)
def test_option_mistakes_exit_2_with_a_message(
    extra: list[str],
    words: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    _taobao().to_csv("orders.csv", index=False)
    argv = ["score", "orders.csv", "--preset", "taobao", "--as-of", AS_OF, *extra]
    if "--preset" in extra:
        argv = ["score", "orders.csv", "--as-of", AS_OF, *extra]
    if "--as-of" in extra:
        argv = ["score", "orders.csv", "--preset", "taobao", *extra]
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert words in err
    assert len(err) < 1500


@pytest.mark.parametrize(
    "argv",
    [
        ["queue", "t.csv", "--preset", "helpdesk", "--as-of", AS_OF, "--out", "q.html"],
        ["data", "cdnow", "--out", "cdnow.html"],
    ],
)
def test_only_score_writes_the_html_report(
    argv: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert "the HTML report comes from custcare score" in err
    assert not list(tmp_path.iterdir())


def test_a_file_without_a_mapping_or_zone_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = tmp_path / "orders.csv"
    _plain_orders().to_csv(orders, index=False)
    code, _, err = _run(["score", str(orders), "--as-of", AS_OF, "--out", "s.csv"], capsys)
    assert code == 2 and "--preset taobao|helpdesk|cdnow|reviews or --config" in err
    config = tmp_path / "c.toml"
    config.write_text(_TOML.replace('timezone = "Asia/Shanghai"\n', ""), encoding="utf-8")
    argv = ["score", str(orders), "--config", str(config), "--as-of", AS_OF, "--out", "s.csv"]
    code, _, err = _run(argv, capsys)
    assert code == 2 and "state the time zone" in err and "never guesses" in err
    code, _, err = _run(["score", "nothing.csv", "--preset", "cdnow", "--as-of", AS_OF,
                         "--out", "s.csv"], capsys)  # fmt: skip
    assert code == 2 and "ORDERS: no such file: nothing.csv" in err


def test_version_and_help_in_english_with_chinese_examples(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run(["--version"], capsys)
    assert code == 0 and out.strip() == f"custcare {__version__}"
    code, out, _ = _run(["score", "--help"], capsys)
    assert code == 0
    assert "--as-of DATE" in out and "--timezone ZONE" in out
    assert "淘宝/天猫卖家中心订单导出" in out and "custcare score 订单报表.csv" in out


def test_the_console_script_runs_with_no_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "custcare", "score", "x.csv", "--as-of", AS_OF],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "the following arguments are required: --out" in done.stderr
    assert "Traceback" not in done.stderr


def test_presets_are_valid_configs() -> None:
    for name in ("taobao", "helpdesk", "cdnow"):
        assert isinstance(preset(name), FileConfig)
    assert preset("taobao").orders.placed_at == "订单创建时间"
    assert preset("taobao").status_words["交易成功"] == "completed"


def test_excel_ids_of_16_digits_have_lost_one_and_are_refused_empty_cells_are_missing() -> None:
    pd = pytest.importorskip("pandas")
    from custcare.errors import ColumnError
    from custcare.io._read import _excel_ids

    notes: list[str] = []
    # Excel keeps 15 significant digits: 1234567890123456 comes back ...450.
    with pytest.raises(ColumnError) as info:
        _excel_ids(pd.Series([1234567890123450, 1001.0], dtype=object), "order_id", notes, "x")
    assert (info.value.rule, info.value.rows) == ("id_stored_as_number", (0,))
    kept = _excel_ids(
        pd.Series([123456789012345, float("nan")], dtype=object), "order_id", notes, "x"
    )
    assert list(kept) == ["123456789012345", None]


def test_times_with_their_own_offsets_read_as_instants_naive_beside_aware_refused() -> None:
    pd = pytest.importorskip("pandas")
    from custcare.errors import ColumnError
    from custcare.io._read import _parse_times

    # A shop in a zone with summer time writes +01:00 in winter and +02:00 in summer.
    frame = pd.DataFrame({"t": ["2026-01-10T12:00+01:00", "2026-07-10T12:00+02:00", None]})
    _parse_times(frame, ["t"], None, pd)
    utc = [t.isoformat() for t in frame["t"].dropna()]
    assert utc == ["2026-01-10T11:00:00+00:00", "2026-07-10T10:00:00+00:00"]
    mixed = pd.DataFrame({"t": ["2026-01-10T12:00+01:00", "2026-07-10T12:00"]})
    with pytest.raises(ColumnError) as info:
        _parse_times(mixed, ["t"], None, pd)
    assert (info.value.rule, info.value.rows) == ("mixed_time_zones", (1,))
