"""Language detection reads a short sample (search/pipeline/language.py, _SAMPLE): cheaper
than reading 1,500 characters, and on the dev pages no answer is lost. The Indonesian pages
were read as Malay from the longer sample; their first paragraphs say Indonesian."""

from bench.realpages import FIXTURE_DIR, load_pages
from search.pipeline.cleaning import clean
from search.pipeline.language import detect_language


def test_every_labelled_dev_page_gets_its_language():
    wrong = []
    for page in load_pages(FIXTURE_DIR):
        cleaned = clean(page.html, "html")
        label = page.meta.get("language")
        if label and detect_language(cleaned.title, cleaned.body) != label:
            wrong.append((page.id, label))
    assert wrong == []
