"""Demo data for the embedded mode (``make run``): an admin and a self-care user, created once."""

from omnibus.identity.application import IdentityApp

DEMO_ADMIN = ("admin@omnibus.example", "admin", "omnibus-admin")
DEMO_CUSTOMER = ("jane.doe@example.com", "jane.doe", "omnibus-jane")


def seed_demo_users(app: IdentityApp) -> None:
    if app.find_user(DEMO_ADMIN[0]) is None:
        email, username, password = DEMO_ADMIN
        fields = {"username": username, "email": email, "first_name": "Demo", "last_name": "Admin"}
        app.create_user(fields, password, ["Admin"], send_welcome=False)
        email, username, password = DEMO_CUSTOMER
        fields = {"username": username, "email": email, "first_name": "Jane", "last_name": "Doe", "customer_id": 2}
        app.create_user(fields, password, ["Customer"], send_welcome=False)
    print(  # noqa: T201 - the embedded mode's welcome text
        f'  identity: log in with POST /crm/auth/login {{"email": "{DEMO_ADMIN[0]}", '
        f'"password": "{DEMO_ADMIN[2]}"}} (self-care: {DEMO_CUSTOMER[0]} / {DEMO_CUSTOMER[2]})',
        flush=True,
    )
