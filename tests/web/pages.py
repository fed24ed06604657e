"""What the web tests share about reading a response: the htmx request header and the
parsed page of a successful answer."""

from bs4 import BeautifulSoup

HX = {"HX-Request": "true"}


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "lxml")
