"""After asking to register: a "Check your email" page that says what to do next, with no login form (no account
exists until the link is followed), a button to send the link again and a way to give another address."""

from board.auth.services import find_user


def test_check_your_email_page_says_what_next_and_has_no_login_form(visitor, inbox):
    asked = visitor.post("/register", {"email": "ada@example.edu"})
    assert asked.status_code == 302 and asked.headers["Location"].endswith("/register/sent")
    page = visitor.get("/register/sent").get_data(as_text=True)
    main = page.split('<main id="main"', 1)[1]
    assert "<h1>Check your email</h1>" in main and "ada@example.edu" in main
    assert "Follow its link within 24 hours" in main and "Your account is not created yet" in main
    assert 'name="password"' not in main and 'name="email"' not in main and "autofocus" not in page
    assert 'href="/register"' in main  # another address
    assert find_user("ada@example.edu") is None


def test_send_the_link_again_from_the_check_your_email_page(visitor, inbox):
    visitor.post("/register", {"email": "ada@example.edu"})
    visitor.csrf_token("/register/sent")
    again = visitor.post("/register/resend", {})
    assert again.status_code == 302 and again.headers["Location"].endswith("/register/sent")
    first, second = inbox.messages("ada@example.edu")
    assert first["Subject"] == second["Subject"]
    assert "We sent another link to ada@example.edu." in visitor.get("/register/sent").get_data(as_text=True)
    link = inbox.link("ada@example.edu", "/register/confirm/")  # the new link works
    visitor.csrf_token(link)
    done = visitor.post(link, {"display_name": "Ada", "password": "long enough pw", "confirm": "long enough pw"})
    assert done.status_code == 302 and find_user("ada@example.edu") is not None


def test_resend_without_an_address_asks_for_one(visitor, inbox):
    response = visitor.post("/register/resend", {})
    assert response.status_code == 302 and response.headers["Location"].endswith("/register")
    assert inbox.messages() == []
