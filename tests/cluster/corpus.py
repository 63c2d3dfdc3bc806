"""Labelled stories for clustering: syndicated copies built from the seed page, wire copies,
and different stories on the same subject (same day, same people, same places).

Each `Copy` is what the extractor would leave in a Story row: title, text, feed description.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"
SEED_TITLE = "European Allies Agree to Key Security Provisions for Ukraine"


@dataclass(frozen=True)
class Copy:
    title: str
    text: str = ""
    feed_summary: str = ""


def seed_page() -> str:
    return (DATA / "dnyuz_seed.txt").read_text(encoding="utf-8")


def seed_article() -> str:
    """The article alone, as the New York Times page's extraction would give it."""
    page = seed_page()
    start = page.index("Ukraine’s allies agreed on Tuesday")
    end = page.index("The post European Allies")
    return page[start:end].strip()


def seed_paragraphs() -> list[str]:
    return [part.strip() for part in seed_article().split("\n\n") if part.strip()]


def nyt_copy() -> Copy:
    return Copy(
        title=SEED_TITLE + " - The New York Times",
        text=seed_article(),
        feed_summary="The leaders of France and Britain said they would commit troops to "
        "dissuade Russia from invading again in the event of a cease-fire.",
    )


def dnyuz_copy() -> Copy:
    """The syndicated copy with the site's chrome left in by a lenient extraction: the
    header line, the "appeared first on" footer and the "Read more" teasers."""
    page = seed_page()
    start = page.index("January 7, 2026")
    return Copy(title=SEED_TITLE, text=page[start:], feed_summary=seed_paragraphs()[0])


def trimmed_copy() -> Copy:
    """An aggregator's copy: the first four paragraphs only, and its own footer."""
    text = "\n\n".join(seed_paragraphs()[:4])
    return Copy(
        title=SEED_TITLE,
        text=text + "\n\nRead the full story at The New York Times.",
    )


def late_lede_copy() -> Copy:
    """A copy whose extraction lost the first paragraph and added a byline line."""
    text = "By Catherine Porter\n\n" + "\n\n".join(seed_paragraphs()[1:])
    return Copy(title=SEED_TITLE + " | DNYUZ", text=text)


def wire_retitled_copy() -> Copy:
    """The same text under a different headline (a wire copy re-titled by a newspaper)."""
    return Copy(
        title="France and Britain pledge troops to guard any Ukraine truce",
        text=seed_article(),
    )


def feed_only_copy() -> Copy:
    """A fallback story: the page could not be read, only the feed's title and description."""
    return Copy(title=SEED_TITLE, feed_summary=seed_paragraphs()[0])


# Different stories about Ukraine from the same day: same names, same places, other events.
SAME_SUBJECT = [
    Copy(
        title="Russia Hits Kyiv With Barrage of Drones and Missiles Overnight",
        text=(
            "Russia launched one of its largest aerial attacks on Kyiv overnight, firing more "
            "than 300 drones and dozens of missiles at the Ukrainian capital and knocking out "
            "power to hundreds of thousands of homes, Ukrainian officials said on Tuesday. "
            "At least four people were killed and more than 20 were injured, according to the "
            "city's military administration. President Volodymyr Zelensky said the attack, "
            "which came hours before European leaders met in Paris, showed that Russia was not "
            "interested in peace. Air defense units shot down most of the drones, the Ukrainian "
            "Air Force said, but debris fell on residential buildings in several districts. "
            "Emergency crews worked through the morning to pull residents from the rubble of a "
            "nine-story apartment block in the Darnytskyi district."
        ),
    ),
    Copy(
        title="Ukraine's Grain Exports Rebound as Black Sea Corridor Holds",
        text=(
            "Ukraine exported more grain in December than in any month since the full-scale "
            "invasion began, the agriculture ministry said on Tuesday, as ships continued to "
            "use a corridor along the Black Sea coast despite Russian strikes on the port of "
            "Odesa. Shipments of corn and wheat rose to 6.1 million tons, with most cargoes "
            "bound for Egypt, Spain and China. Traders said insurance costs for vessels calling "
            "at Ukrainian ports had fallen for a third month. President Volodymyr Zelensky "
            "thanked the navy for keeping the route open and said Ukraine would ask its allies "
            "in Paris for more air defense systems to protect the ports. Farmers still face "
            "high costs for fuel and fertilizer, the ministry said."
        ),
    ),
    Copy(
        title="Ukraine and Russia Swap Hundreds of Prisoners of War",
        text=(
            "Ukraine and Russia exchanged 300 prisoners of war on Tuesday in a swap brokered by "
            "the United Arab Emirates, the largest such exchange in months, officials in both "
            "countries said. Among the Ukrainians who came home were soldiers captured during "
            "the defense of Mariupol in 2022, President Volodymyr Zelensky said in a post on "
            "social media, alongside photographs of men wrapped in blue and yellow flags. "
            "Russia's defense ministry said its soldiers were flown to Moscow for medical "
            "checks. The exchange took place as European leaders gathered in Paris to discuss "
            "security guarantees for Ukraine, and Kyiv said more swaps were being prepared."
        ),
    ),
    Copy(
        title="Europe's Leaders Meet in Paris on Ukraine as Doubts Linger Over Peace Deal",
        text=(
            "Dozens of European leaders arrived in Paris on Tuesday for talks on how to "
            "guarantee Ukraine's security after any cease-fire, but officials cautioned that "
            "the meeting was unlikely to settle the hardest questions. Diplomats said the "
            "coalition, led by France and Britain, would discuss how many troops each country "
            "could send and who would command them. President Emmanuel Macron was expected to "
            "host President Volodymyr Zelensky and two envoys of President Trump for lunch at "
            "the Elysee Palace. Russia has repeatedly said it would not accept European "
            "soldiers in Ukraine, and the Kremlin dismissed the meeting as theater. Analysts "
            "said the real test would come in Washington."
        ),
    ),
    Copy(
        title="E.U. Agrees on New Sanctions Against Russia's Shadow Fleet",
        text=(
            "The European Union agreed on Tuesday on a new package of sanctions targeting "
            "dozens of tankers that Russia uses to ship oil around a Western price cap, "
            "diplomats in Brussels said. The measures add 79 vessels to a list of ships "
            "banned from European ports and services, and target companies in the United Arab "
            "Emirates and Hong Kong accused of helping Moscow evade restrictions. The package "
            "is the 20th since Russia's full-scale invasion of Ukraine. Hungary and Slovakia "
            "dropped their objections after the European Commission promised help with energy "
            "prices, officials said. Ukraine's foreign minister welcomed the decision and "
            "urged the bloc to go further."
        ),
    ),
    Copy(
        title="Zelensky Says Security Deal 'Now Exists' After Paris Summit",
        text=(
            "President Volodymyr Zelensky of Ukraine said on Tuesday that the framework of "
            "security guarantees for his country now existed, after France and Britain signed "
            "a declaration in Paris committing troops to deter Russia after a cease-fire. "
            "Speaking to reporters, Mr. Zelensky said Kyiv had waited a year for such "
            "commitments and called the agreement a huge step forward. He said other allies "
            "had offered weapons but wanted their parliaments to approve the plans first. "
            "Britain's prime minister, Keir Starmer, said Russia's recent attacks showed "
            "President Vladimir Putin was not ready for peace. The Kremlin did not immediately "
            "comment on the declaration."
        ),
    ),
]

# Feed-only stories on the same subject, one of them with the seed's exact title but another
# description (a recurring-title trap for the same feed is tested separately).
FEED_ONLY_OTHERS = [
    Copy(
        title="Ukraine war: what we know on day 1,414",
        feed_summary="Russia fires drones at Kyiv; prisoners exchanged; Paris talks begin.",
    ),
    Copy(
        title="Ukraine war: what we know on day 1,415",
        feed_summary="Allies agree security provisions; grain exports rise; sanctions agreed.",
    ),
]
