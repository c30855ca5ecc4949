"""How a question reads as a business describing itself ("on fabrique…", "I run a…") or as
asking for a cluster in words: the cues that turn sector words into a recommendation request."""

from __future__ import annotations

from knowledge.text_folding import fold

# Words that mark a sentence as describing one's own business; an activity keyword alone
# ("solar panels for my house") is not a request for a cluster recommendation.
BUSINESS_CUES = frozenset(
    """
    entreprise entreprises societe societes pme startup start up firme boite bureau atelier
    activite activites specialise specialisee specialises fabriquons produisons developpons
    concevons vendons installons travaillons sommes suis company companies firm business
    startup sme studio we our ourselves manufacture manufacturer make build develop design
    produce specialised specialized agency office fit suits conviendrait convient correspond
    on nous notre nos belong appartenir fabricant fabricants fabrique fabriquent
    producteur freelance independant consultant consultancy
    """.split()
)
# "I" alone is no business ("how do I recycle plastic bottles at home?"); "I run", "je fais" are.
BUSINESS_PHRASES = tuple(
    f" {phrase} "
    for phrase in (
        "je suis",
        "je fais",
        "je bosse",
        "on bosse",
        "j ai une",
        "j ai un",
        "je travaille",
        "je fabrique",
        "je produis",
        "je developpe",
        "je vends",
        "je dirige",
        "je gere",
        "i run",
        "i own",
        "i have a",
        "i make",
        "i build",
        "i work",
        "i m a",
        "i am a",
        "i sell",
        "i develop",
        "i design",
        "i produce",
        "i install",
        "i manage",
    )
)


def describes_a_business(text: str) -> bool:
    """Whether a text describes the writer's own business ("on fabrique…", "I run a…")."""
    folded = f" {fold(text)} "
    return bool(set(folded.split()) & BUSINESS_CUES) or any(p in folded for p in BUSINESS_PHRASES)


# Words that show a question asks for a cluster: the programme named, or a recommendation asked
# for after an activity is described ("we recycle plastic waste, what do u recommend").
CLUSTER_WORDS = frozenset(
    """
    cluster clusters reseau reseaux network networks pole poles adherer rejoindre join membre
    member lequel laquelle groupe groupes groupement group groups recommend recommendation
    recommande recommandez recommanderiez recommandation conseillez conseilleriez suggest
    """.split()
)
