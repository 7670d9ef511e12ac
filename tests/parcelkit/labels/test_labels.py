"""Labels are checked the way a sorting-centre scanner checks them: by decoding the rendered pixels."""

import io
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageChops

from parcelkit.labels.fonts import pil_cjk_font_path, pil_font
from parcelkit.labels.layout import wrap
from parcelkit.labels.printer import PrinterUnreachable, send_zpl
from parcelkit.labels.render import LabelData, render_image, render_pdf, render_png, render_zpl
from parcelkit.rules.tracking import make_tracking_no

NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
TRACKING = make_tracking_no(20_261_123)

LABEL = LabelData(
    tracking_no=TRACKING,
    service_level="标准快递 Standard",
    sort_code="755-A12",
    weight_g=1234,
    sender_name="张三",
    sender_phone="13812345678",
    sender_address="广东省深圳市南山区科技园南区深南大道10000号",
    recipient_name="欧阳娜娜",
    recipient_phone="+86 139-0000-1111",
    recipient_address="北京市朝阳区建国路88号SOHO现代城5号楼1801",
    cod_amount_fen=12345,
    piece_no=1,
    piece_count=3,
)
# The last four digits too: public tracking asks for them, so the box must not give them away.
PRIVATE = [
    "张三",
    "13812345678",
    "5678",
    "1111",
    "****5678",
    "欧阳娜娜",
    "0000-1111",
    "深南大道",
    "10000",
    "建国路",
    "1801",
]


def decoded(image: Image.Image) -> dict[str, str]:
    return {r.format.name: r.text for r in zxingcpp.read_barcodes(image)}


def pdf_to_image(pdf: bytes, tmp_path: Path, dpi: int = 203) -> Image.Image:
    assert shutil.which("pdftoppm"), "pdftoppm missing: apt-get install -y poppler-utils poppler-data"
    src = tmp_path / "label.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", src, tmp_path / "page"], check=True)
    return Image.open(tmp_path / "page.png").convert("L")


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    assert shutil.which("pdftotext"), "pdftotext missing: apt-get install -y poppler-utils poppler-data"
    src = tmp_path / "text.pdf"
    src.write_bytes(pdf)
    return subprocess.run(["pdftotext", src, "-"], check=True, capture_output=True, text=True).stdout


# -- PNG -------------------------------------------------------------------------------------------


def test_png_is_100_by_150_mm_at_203_dpi() -> None:
    image = Image.open(io.BytesIO(render_png(LABEL)))
    assert image.format == "PNG"
    assert image.size == (800, 1200)


def test_png_barcodes_decode_to_the_tracking_number() -> None:
    image = render_image(LABEL)
    assert decoded(image) == {"Code128": TRACKING, "QRCode": TRACKING}


def test_png_barcodes_decode_at_300_dpi_too() -> None:
    assert decoded(render_image(LABEL, dots_per_mm=12)) == {"Code128": TRACKING, "QRCode": TRACKING}


@pytest.mark.skipif(not NOTO_CJK.exists(), reason="fonts-noto-cjk not installed")
def test_png_draws_real_chinese_glyphs() -> None:
    assert pil_cjk_font_path() is not None
    # With a font lacking CJK every character is the same box, so two different surnames would look alike.
    zhang = render_image(replace(LABEL, recipient_name="张三"))
    li = render_image(replace(LABEL, recipient_name="李四"))
    assert ImageChops.difference(zhang, li).getbbox() is not None
    assert "CJK" in pil_font(40).getname()[0]


# -- PDF -------------------------------------------------------------------------------------------


def test_pdf_barcodes_decode_after_rasterising(tmp_path: Path) -> None:
    image = pdf_to_image(render_pdf(LABEL), tmp_path)
    assert image.size[0] == 800
    assert decoded(image) == {"Code128": TRACKING, "QRCode": TRACKING}


def test_pdf_text_is_masked(tmp_path: Path) -> None:
    text = pdf_text(render_pdf(LABEL), tmp_path)
    for masked in ["欧***", "139******11", "北京市朝阳区****", "张*", "138******78", "代收货款", "1/3"]:
        assert masked in text
    for secret in PRIVATE:
        assert secret not in text


@pytest.mark.skipif(not NOTO_CJK.exists(), reason="fonts-noto-cjk not installed")
def test_pdf_chinese_renders_as_glyphs(tmp_path: Path) -> None:
    zhang = pdf_to_image(render_pdf(replace(LABEL, recipient_name="张三")), tmp_path)
    li = pdf_to_image(render_pdf(replace(LABEL, recipient_name="李四")), tmp_path)
    assert ImageChops.difference(zhang, li).getbbox() is not None


# -- ZPL -------------------------------------------------------------------------------------------


def test_zpl_content() -> None:
    zpl = render_zpl(LABEL)
    assert zpl.startswith("^XA")
    assert zpl.rstrip().endswith("^XZ")
    assert f"^BCN,128,N,N,N,A^FD{TRACKING}^FS" in zpl
    assert f"^BQN,2,10^FDMA,{TRACKING}^FS" in zpl
    assert "^CI28" in zpl
    assert "张*  138******78" in zpl
    for secret in PRIVATE:
        assert secret not in zpl


def test_zpl_shows_cod_only_when_there_is_one() -> None:
    assert "代收货款 COD 123.45 元" in render_zpl(LABEL)
    assert "代收货款" not in render_zpl(replace(LABEL, cod_amount_fen=0))


def test_zpl_escapes_command_characters_in_text() -> None:
    zpl = render_zpl(replace(LABEL, sort_code="A^XZ~B_1"))
    assert "^FDA_5EXZ_7EB_5F1^FS" in zpl
    assert zpl.count("^XZ") == 1


class FakePrinter:
    """A real TCP server on 127.0.0.1 that keeps what one job sends, like a printer's port 9100."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received = b""
        self.thread = threading.Thread(target=self._serve)
        self.thread.start()

    def _serve(self) -> None:
        self.server.settimeout(5)
        conn, _ = self.server.accept()
        with conn:
            chunks = []
            while data := conn.recv(4096):
                chunks.append(data)
        self.received = b"".join(chunks)

    def close(self) -> None:
        self.thread.join(timeout=5)
        self.server.close()


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    fake = FakePrinter()
    yield fake
    fake.close()


def test_zpl_reaches_the_printer_byte_for_byte(printer: FakePrinter) -> None:
    zpl = render_zpl(LABEL)
    send_zpl("127.0.0.1", zpl, port=printer.port, timeout=3)
    printer.thread.join(timeout=5)
    assert printer.received == zpl.encode("utf-8")
    assert printer.received.startswith(b"^XA")
    assert printer.received.rstrip().endswith(b"^XZ")
    assert f"^FD{TRACKING}^FS".encode() in printer.received
    assert "收件".encode() in printer.received


def test_unreachable_printer_is_a_clear_error() -> None:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    with pytest.raises(PrinterUnreachable, match=f"printer 127.0.0.1:{port} unreachable: connection refused"):
        send_zpl("127.0.0.1", render_zpl(LABEL), port=port, timeout=2)


# -- data and layout -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"tracking_no": "PR000000012343"},
        {"weight_g": 0},
        {"piece_no": 4},
        {"piece_no": 0},
        {"cod_amount_fen": -1},
    ],
)
def test_impossible_label_data_is_refused(change: dict) -> None:
    with pytest.raises(ValueError):
        replace(LABEL, **change)


def test_wrap_keeps_latin_words_whole_and_limits_lines() -> None:
    assert wrap("标准快递 Standard", 38, 4.5, 2) == ["标准快递", "Standard"]
    assert wrap("一二三四五六七八九十", 20, 4, 2) == ["一二三四五", "六七八九十"]
    assert wrap("一二三四五六七八九十一二", 20, 4, 2) == ["一二三四五", "六七八九十"]
