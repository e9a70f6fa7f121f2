"""Demo data for the embedded mode (``make run``): templates, products and stock from the spec's examples."""

from datetime import UTC, datetime
from decimal import Decimal

from omnibus.catalog.application import CatalogApp

D = Decimal

TEMPLATES = (
    {
        "item": "SIM Card",
        "icon": "fa-solid fa-sim-card",
        "itemtext1_label": "ICCID",
        "itemtext1_key": "iccid",
        "itemtext2_label": "IMSI",
        "itemtext2_key": "imsi",
        "itemtext3_label": "SIM type",
        "itemtext4_label": "Ki",
        "itemtext4_key": "ki",
        "wholesale_cost": D("2.50"),
        "retail_cost": D("10.00"),
    },
    {
        "item": "Mobile Number",
        "icon": "fa-solid fa-phone",
        "itemtext1_label": "MSISDN",
        "itemtext1_key": "msisdn",
        "itemtext2_label": "Area",
        "itemtext3_label": "Number type",
        "wholesale_cost": D("1.00"),
        "retail_cost": D("0.00"),
    },
    {
        "item": "Rental Modem",
        "icon": "fa-solid fa-router",
        "itemtext1_label": "MAC",
        "itemtext2_label": "Serial",
        "wholesale_cost": D("45.00"),
        "retail_cost": D("0.00"),
    },
)

PRODUCTS = (
    {
        "product_name": "Mobile SIM Only",
        "product_slug": "Mobile-SIM",
        "category": "standalone",
        "service_type": "mobile",
        "icon": "fa-solid fa-sim-card",
        "wholesale_cost": D("3"),
        "wholesale_setup_cost": D("1"),
        "provisioning_play": "play_psim_only",
        "provisioning_json_vars": '{"iccid": "", "msisdn": ""}',
        "inventory_items_list": ["SIM Card", "Mobile Number"],
        "features_list": "['Local (04xxx) number', 'Unlimited calls', 'Unlimited SMS', '5G ready']",
    },
    {
        "product_name": "Prepaid Mobile 20GB",
        "product_slug": "prepaid-mobile-20gb",
        "category": "standalone",
        "service_type": "mobile",
        "retail_cost": D("15.00"),
        "wholesale_cost": D("5.00"),
        "wholesale_setup_cost": D("1.00"),
        "business": False,
        "available_from": datetime(2025, 1, 1, tzinfo=UTC),
        "contract_days": 30,
        "auto_renew": "prompt",
        "allow_auto_renew": True,
        "provisioning_play": "play_local_mobile_sim",
        "provisioning_json_vars": '{"days":30,"data_gb":20,"voice_minutes":"unlimited","sms_count":"unlimited"}',
        "inventory_items_list": ["SIM Card", "Mobile Number"],
        "features_list": "20GB data. Unlimited calls. Unlimited SMS. 30 days",
    },
    {
        "product_name": "5GB Data Boost",
        "product_slug": "5gb-data-boost",
        "category": "addon",
        "service_type": "mobile",
        "icon": "fa-solid fa-plus",
        "retail_cost": D("5.00"),
        "wholesale_cost": D("1.50"),
        "provisioning_play": "play_topup_charge_then_action",
        "provisioning_json_vars": '{"data_gb":5,"days":7}',
        "features_list": "5GB data for 7 days",
    },
    {
        "product_name": "WiFi 6 Modem Rental",
        "product_slug": "wifi6-modem-rental",
        "category": "addon",
        "service_type": "internet",
        "icon": "fa-solid fa-router",
        "retail_cost": D("10.00"),
        "wholesale_cost": D("3.00"),
        "wholesale_setup_cost": D("45.00"),
        "contract_days": 30,
        "auto_renew": "true",
        "allow_auto_renew": True,
        "customer_can_purchase": False,
        "provisioning_play": "play_addon_assign_modem",
        "provisioning_json_vars": '{"device_type":"modem_router","requires_configuration":true}',
        "inventory_items_list": ["Rental Modem"],
        "terms": "£150 non-return fee if not returned within 14 days of cancellation.",
    },
)


def seed_demo_catalog(app: CatalogApp) -> None:
    if app.max_notification_id() > 0:
        return
    templates = {t["item"]: app.define_template(dict(t)).inventory_template_id for t in TEMPLATES}
    for product in PRODUCTS:
        app.create_product(dict(product))
    for n in range(1, 6):
        app.create_item(
            templates["SIM Card"],
            {
                "itemtext1": f"89610000000000000{n:02d}",
                "itemtext2": f"3101200000000{n:02d}",
                "itemtext3": "Physical",
                "itemtext4": f"{n:032x}",
                "item_location": "Warehouse A, Shelf 3",
                "item_state": "In Stock",
            },
        )
        app.create_item(
            templates["Mobile Number"],
            {"itemtext1": f"+6141234560{n}", "itemtext2": "Melbourne", "itemtext3": "Mobile", "item_state": "In Stock"},
        )
    app.create_item(
        templates["SIM Card"],
        {
            "itemtext1": "8961234567890123457",
            "itemtext2": "310120123456790",
            "itemtext3": "eSIM",
            "item_location": "Virtual Inventory",
            "management_url": "LPA:1$smdp.example.com$ACTIVATION-CODE-ABC123XYZ",
            "inventory_notes": "eSIM profile ready for activation",
            "item_state": "In Stock",
        },
    )
    app.create_item(
        templates["Rental Modem"],
        {
            "itemtext1": "AA:BB:CC:DD:EE:01",
            "itemtext2": "AX1800-12345",
            "item_location": "Warehouse A, Shelf 1",
            "management_url": "https://192.168.1.1",
            "management_username": "admin",
            "management_password": "change-me",
        },
    )
