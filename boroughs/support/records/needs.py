"""The needs vocabulary every part of support shares: what an outreach officer assesses, what a service
in the directory says it meets, and what a referral asks for."""

NEEDS: dict[str, str] = {
    "food": "Food", "fuel": "Fuel", "money_debt": "Money and debt", "housing": "Housing", "isolation": "Isolation",
    "digital": "Digital access", "health": "Health", "employment": "Employment",
    "immigration": "Immigration status", "caring": "Caring",
}
