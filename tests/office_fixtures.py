"""Office files written by the tests themselves: a workbook, CSV, an e-mail with attachments, a deck.

Each holds facts found nowhere else, so a question about one can only be answered from it.
Also the helper that indexes a folder and asks the assistant (with the test fakes).
"""

from __future__ import annotations

import datetime as dt
import io
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from assistant import Answer, Assistant, Settings
from index.ingest import run_index
from index.settings import IndexSettings
from index.types import IndexSummary
from tests.fakes import HashingEmbedder, LexicalScorer

LEXICAL_THRESHOLD = 0.5  # as in tests/test_assistant.py: the share of query words a sentence holds

BUDGET_ROWS = [  # line item, planned, actual, approved on, notes
    ("Paid media", 40000, 18500.0, dt.datetime(2024, 1, 15), "paused in May"),
    ("Trade show booths", 25000, 27250.0, dt.datetime(2024, 2, 2), None),
    ("Printed brochures", 8000, 7900.0, dt.datetime(2024, 2, 20), None),
    ("Agency fees", 12000, 12000.0, dt.datetime(2024, 3, 1), "fixed retainer"),
]


def write_budget_xlsx(path: Path) -> Path:
    """Sheet "Budget": a title in row 1, the header in row 3, items in rows 4-7, a total in row 8
    and a note in row 10; sheet "Q2": the same items with other numbers. Formats: dollars,
    euros with two decimals, a day-month-year date."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Budget"
    sheet.append(["Marketing budget 2024"])
    sheet.append([])
    sheet.append(["Line item", "Planned", "Actual", "Approved", "Notes"])
    for item, planned, actual, approved, note in BUDGET_ROWS:
        sheet.append([item, planned, actual, approved, note])
    sheet.append(["Total", sum(r[1] for r in BUDGET_ROWS), sum(r[2] for r in BUDGET_ROWS)])
    sheet.append([])
    sheet.append(["Figures confirmed by the finance office on 4 April."])
    for row in range(4, 9):
        sheet.cell(row, 2).number_format = '"$"#,##0'
        sheet.cell(row, 3).number_format = "#,##0.00 [$€-407]"
        sheet.cell(row, 4).number_format = "d mmm yyyy"
    second = book.create_sheet("Q2")
    second.append(["Line item", "Planned", "Actual"])
    second.append(["Paid media", 30000, 29100])
    second.append(["Trade show booths", 5000, 4400])
    book.properties.title = "Marketing budget"
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


INVENTORY_CSV = [
    ["SKU", "Product", "Warehouse", "Units on hand", "Unit price"],
    ["KB-1001", "Walnut desk organiser", "Leeds", "412", "£18.50"],
    ["KB-1002", "Cork notice board", "Bristol", "96", "£22.00"],
    ["KB-1003", "Brass desk lamp", "Leeds", "37", "£64.90"],
]


def write_big_csv(path: Path, rows: int = 20_000) -> Path:
    """A 20,000-row export: an order id, a date, a customer, an amount, a status."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write("Order,Date,Customer,Amount,Status\n")
        for n in range(1, rows + 1):
            status = ("shipped", "pending", "returned")[n % 3]
            handle.write(
                f"A{n:06d},2024-{n % 12 + 1:02d}-{n % 28 + 1:02d},Customer {n % 977},{n % 500 + 0.99},{status}\n"
            )
    return path


def email_message(
    subject: str,
    body: str,
    *,
    sender: str = "Dana Whitfield <dana@example.org>",
    to: str = "Project team <team@example.org>",
    date: dt.datetime = dt.datetime(2024, 3, 2, 9, 41, tzinfo=dt.UTC),
    html: str | None = None,
    attachments: tuple[tuple[str, bytes, str], ...] = (),
) -> EmailMessage:
    """An e-mail built with the standard library; attachments are (name, bytes, MIME type)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(date)
    message["Subject"] = subject
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


REPLY_BODY = """Hi all,

The roof contractor confirmed the scaffolding goes up on 18 March and the crane permit
number is CP-88213. Please keep the north car park clear that week.

Dana

On Fri, 1 Mar 2024 at 16:02, Sam Ortiz <sam@example.org> wrote:
> When does the scaffolding go up? The old plan said the crane permit was CP-10000.
> Also, who pays for the skip hire?
"""


def write_pptx(path: Path) -> Path:
    """Three slides: a title slide, a bullet slide with speaker notes, a table slide."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    title = deck.slides.add_slide(deck.slide_layouts[0])
    title.shapes.title.text = "Harbour Line quarterly review"
    title.placeholders[1].text = "Operations team, April 2024"
    bullets = deck.slides.add_slide(deck.slide_layouts[1])
    bullets.shapes.title.text = "Ridership"
    body = bullets.placeholders[1].text_frame
    body.text = "Weekday ridership rose to 48,300 trips"
    body.add_paragraph().text = "Weekend ridership flat"
    bullets.notes_slide.notes_text_frame.text = "Mention that the ferry link closure in February cost 2,100 trips."
    table_slide = deck.slides.add_slide(deck.slide_layouts[5])
    table_slide.shapes.title.text = "Fleet availability"
    table = table_slide.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(1.5)).table
    for r, (name, value) in enumerate([("Vehicle class", "Availability"), ("Class 390", "91%"), ("Class 158", "84%")]):
        table.cell(r, 0).text = name
        table.cell(r, 1).text = value
    deck.save(path)
    return path


def pptx_bytes() -> bytes:
    buffer = io.BytesIO()
    from pptx import Presentation

    Presentation().save(buffer)
    return buffer.getvalue()


def assistant_for(settings: IndexSettings) -> Assistant:
    """The answer pipeline with the test fakes (hashing embedder, lexical scorer, extractive answers)."""
    return Assistant(
        Settings(index=settings),
        embedder=HashingEmbedder(),
        scorer=LexicalScorer(),  # type: ignore[arg-type]
        abstain_threshold=LEXICAL_THRESHOLD,
    )


def index_and_ask(root: Path, settings: IndexSettings, question: str) -> tuple[IndexSummary, Answer]:
    summary = run_index(root, settings, HashingEmbedder())
    return summary, assistant_for(settings).ask(question)


# --- a whole office folder ---------------------------------------------------------------------


def _write_docx(path: Path, paragraphs: list[str]) -> None:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))


def build_office_folder(root: Path) -> dict[str, list[str]]:
    """A project folder of every supported kind, with the odd files people really have.

    Returns {format: the file names of that format}. Junk that must be skipped: a password-
    protected workbook, a corrupt .eml and a photo with no text in it.
    """
    from tests.ocr_fixtures import (
        FORM_LINES,
        LETTER_LINES,
        WHITEBOARD_LINES,
        blank_photo,
        image_bytes,
        image_pdf,
        photographed,
        render_page,
        scanned,
    )
    from tests.pdf_fixtures import pdf_bytes

    root.mkdir(parents=True, exist_ok=True)
    permit = pdf_bytes(
        ["Crane permit CP-88213", "Site plan: see drawing 7.", "The crane permit is valid until 22 March 2024."]
    )
    count = b"Shelf,Counted by,Items\nA1,Ines,40\nA2,Kofi,12\n"
    thread = email_message("Re: Roof works", REPLY_BODY, attachments=(("permit.pdf", permit, "application/pdf"),))
    (root / "mail").mkdir()
    (root / "mail" / "roof.eml").write_bytes(thread.as_bytes())
    html = "<html><body><p>The auditors arrive on 9 April and need the asset register.</p></body></html>"
    audit = email_message("Audit", "The auditors arrive on 9 April and need the asset register.", html=html)
    (root / "mail" / "audit.eml").write_bytes(audit.as_bytes())
    counts = email_message("Stock count", "Counts attached.", attachments=(("count.csv", count, "text/csv"),))
    (root / "mail" / "stock-count.eml").write_bytes(counts.as_bytes())
    (root / "mail" / "corrupt.eml").write_bytes(bytes(range(256)) * 16)

    (root / "sheets").mkdir()
    write_budget_xlsx(root / "sheets" / "budget.xlsx")
    write_csv(root / "sheets" / "inventory.csv", INVENTORY_CSV)
    write_csv(root / "sheets" / "rota.tsv", [["Day", "On call"], ["Monday", "Ines"], ["Tuesday", "Kofi"]], "\t")
    write_big_csv(root / "sheets" / "orders-2024.csv")
    (root / "sheets" / "salaries.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))

    (root / "slides").mkdir()
    write_pptx(root / "slides" / "review.pptx")

    (root / "scans").mkdir()
    (root / "scans" / "letter.png").write_bytes(image_bytes(scanned(render_page(LETTER_LINES)), "PNG"))
    (root / "scans" / "inspection.pdf").write_bytes(image_pdf([scanned(render_page(FORM_LINES), seed=2)]))
    (root / "scans" / "retro.jpg").write_bytes(image_bytes(photographed(WHITEBOARD_LINES), "JPEG"))
    (root / "scans" / "holiday.jpg").write_bytes(image_bytes(blank_photo(), "JPEG"))

    (root / "notes.txt").write_text("Project notes: the roof works, the audit and the marketing budget.\n")
    _write_docx(root / "minutes.docx", ["Site meeting minutes", "The site office moves to the east gate on 8 April."])
    (root / "report.pdf").write_bytes(pdf_bytes(["Quarterly report: the stores audit found no missing stock."]))
    return {
        "e-mail (.eml)": ["mail/roof.eml", "mail/audit.eml", "mail/stock-count.eml", "mail/corrupt.eml"],
        "spreadsheet and CSV": [
            "sheets/budget.xlsx",
            "sheets/inventory.csv",
            "sheets/rota.tsv",
            "sheets/salaries.xlsx",
        ],
        "CSV export, 20,000 rows": ["sheets/orders-2024.csv"],
        "slides (.pptx)": ["slides/review.pptx"],
        "scans and pictures (OCR)": [
            "scans/letter.png",
            "scans/inspection.pdf",
            "scans/retro.jpg",
            "scans/holiday.jpg",
        ],
        "text, Word, PDF": ["notes.txt", "minutes.docx", "report.pdf"],
    }


OFFICE_JUNK = {
    "mail/corrupt.eml": "binary content",
    "sheets/salaries.xlsx": "password-protected workbook",
    "scans/holiday.jpg": "no text found in this picture (OCR)",
}

# (format, question, words the answer holds, cited doc id, cited location): each fact is only there.
OFFICE_QUESTIONS = [
    ("e-mail (.eml)", "When does the scaffolding go up?", "18 March", "mail/roof.eml", "message of 2024-03-02"),
    (
        "e-mail (.eml)",
        "Until when is the crane permit valid?",
        "22 March",
        "mail/roof.eml#permit.pdf",
        "page 3",
    ),
    (
        "spreadsheet and CSV",
        "When were the printed brochures approved?",
        "20 Feb 2024",
        "sheets/budget.xlsx",
        "sheet Budget, row 6",
    ),
    (
        "spreadsheet and CSV",
        "How many units of the cork notice board are on hand?",
        "96",
        "sheets/inventory.csv",
        "row 3",
    ),
    (
        "slides (.pptx)",
        "How many trips did the ferry link closure cost?",
        "2,100",
        "slides/review.pptx",
        "slide 2",
    ),
    (
        "scans and pictures (OCR)",
        "What was the odometer reading at inspection?",
        "48,213",
        "scans/inspection.pdf",
        "page 1 (OCR)",
    ),
    (
        "scans and pictures (OCR)",
        "Which reference should you quote to the repairs line?",
        "HS-4471",
        "scans/letter.png",
        "image (OCR)",
    ),
    ("scans and pictures (OCR)", "Who is the owner for flaky tests?", "Amara", "scans/retro.jpg", "image (OCR)"),
    ("text, Word, PDF", "Where does the site office move to?", "east gate", "minutes.docx", "paragraph 2"),
]
# Near misses: each names something the folder nearly holds (the scaffolding going up, shelves
# A1 and A2, the auditors arriving), but not the answer (bench/office_near_misses.py).
OFFICE_NEAR_MISSES = [
    "When does the scaffolding come down?",
    "Who counted shelf A3?",
    "When do the auditors leave?",
    "What is the crane permit number for the second crane?",
    "How much was the roof contractor paid?",
    "Who is on call on Wednesday?",
    "When was the video campaign approved?",
    "What did the audit of the head office find?",
]
# Found by the real models (bge-small + cross-encoder) among 20,000 rows; too hard for the fakes.
BIG_CSV_QUESTION = (
    "CSV export, 20,000 rows",
    "What is the status of order A012345?",
    "shipped",
    "sheets/orders-2024.csv",
    "row 12346",
)
