"""The words of the generated reports (bench.synth): projects, name parts, outlets, and the
templates of headlines, ledes, facts, filler, distractors and questions."""

from __future__ import annotations

# (project, verb, unit, capacity range): "the tram extension will serve 18,400 passengers a day"
PROJECTS = (
    ("water treatment upgrade", "serve", "households", (800, 24000)),
    ("flood defence scheme", "protect", "properties", (150, 6000)),
    ("library extension", "house", "books", (9000, 90000)),
    ("primary school expansion", "accommodate", "pupils", (120, 900)),
    ("solar farm", "power", "homes", (600, 15000)),
    ("sports centre", "welcome", "visitors a week", (900, 12000)),
    ("bridge replacement", "carry", "vehicles a day", (2000, 40000)),
    ("bus depot", "house", "buses", (20, 180)),
    ("district heating network", "heat", "homes", (300, 8000)),
    ("harbour wall repair", "shelter", "moorings", (40, 600)),
    ("recycling centre", "process", "tonnes of waste a year", (5000, 90000)),
    ("affordable housing development", "provide", "new homes", (40, 900)),
    ("cycle path network", "cover", "kilometres", (6, 95)),
    ("hospital wing", "add", "beds", (20, 400)),
    ("broadband rollout", "connect", "premises", (1500, 30000)),
    ("tram extension", "serve", "passengers a day", (3000, 45000)),
)
STEMS = (
    "Ash Bram Brock Cald Carn Dun Els Fen Glen Hal Hart Kel Kings Lang Lind Marl Mill Nor Oak Pen Ral "
    "Red Ros Sal Shel Stan Stour Tam Thorn Wal Wen Whit Wick Wil Win Wor Yar Bel Cor Dal Hol Lyn Mar "
    "Pit Sel Tor Ux Ver"
).split()
ENDINGS = (
    "bury borough bridge brook by caster chester combe cott dale den don field ford gate ham holme "
    "hurst ington leigh ley minster mouth ness stead stow thorpe ton well wick"
).split()
QUALIFIERS = ("North", "Upper", "Great", "Little", "East", "West")
FIRST = (
    "Helen Marcus Priya Owen Grace Tomasz Aisha Daniel Fiona Rahul Claire Gareth Nadia Simon Erin "
    "Victor Joanna Malik Rosa Patrick Ingrid Samuel Leah Kwame Bethan Arjun Moira Felix Hannah Iain"
).split()
LAST = (
    "Marsh Okafor Whitlock Brennan Castell Duarte Fairbairn Galloway Hensley Iqbal Jarvis Kowalski "
    "Lindqvist Mackenzie Naylor Oduya Pemberton Quayle Rainford Sorensen Thackeray Underwood Varga "
    "Wetherell Yardley Abbott Blackwood Carrick Delacroix Ellery"
).split()
COMPANY_ENDINGS = ("Construction", "Civil Engineering", "Infrastructure Ltd", "Building Group", "Contracting")
ROLES = ("project director", "programme manager", "lead engineer", "head of capital projects")
DESKS = ("Local Democracy Reporter", "Regional Affairs Correspondent", "Infrastructure Reporter", "Chief Reporter")
OUTLETS = ("The Vale Courier", "Northern Gazette", "The County Chronicle", "Riverside Echo", "The Weekly Herald")
MONTHS = "January February March April May June July August September October November December".split()
DAYS = "Monday Tuesday Wednesday Thursday Friday".split()
STREETS = ("High Street", "Station Road", "Mill Lane", "Church Street", "Queen's Road", "Market Square")
VENUES = ("the town hall", "the community centre", "St Mary's church hall", "the civic offices", "the leisure centre")
GROUPS = (
    "the residents' association",
    "the chamber of commerce",
    "the civic society",
    "the parents' forum",
    "traders",
)
CONCERNS = ("traffic during construction", "noise", "parking", "the loss of green space", "the cost", "drainage")

HEADLINES = (
    "{Town} council approves {project}",
    "Work to begin on {Town}'s {project}",
    "{Project} gets green light after months of debate",
    "Contract signed for {project} in {Town}",
    "Residents split over plans for new {project}",
)
FACTS = {  # fact sentences that leave the town to the lede
    "who": (
        "The scheme will be overseen by {role} {lead}, who said lessons from earlier projects had been learned.",
        "{lead}, the council's {role}, told the meeting that the town could not afford further delay.",
        "Leading the work is {lead}, the council's {role}, who has managed similar schemes elsewhere.",
    ),
    "company": (
        "{company} was awarded the main contract after a competitive tender.",
        "The contract went to {company}, which beat three other bidders.",
        "Councillors chose {company} to carry out the work.",
    ),
    "count": (
        "Once complete, the {project} is designed to {verb} {count} {unit}.",
        "Officers say the {project} will {verb} {count} {unit} when it is finished.",
        "According to the council's own figures, it will {verb} {count} {unit}.",
    ),
    "budget": (
        "The project is budgeted at £{budget} million, funded partly by a regional growth grant.",
        "The total cost is put at £{budget} million.",
        "Councillors signed off a budget of £{budget} million for the work.",
    ),
    "date": (
        "Work is expected to be completed by {date}.",
        "The council hopes to open it in {date}.",
        "Completion is scheduled for {date}, subject to the weather.",
    ),
}
FACTS_NAMED = {  # the same facts, naming the town as real reports often do
    "who": (
        "{Town}'s {project} will be overseen by {role} {lead}, who said lessons had been learned.",
        "{lead}, the council's {role}, told the meeting that {Town} could not afford further delay.",
        "Leading the work is {lead}, {role} at {Town} Council, who has managed similar schemes elsewhere.",
    ),
    "company": (
        "{company} was awarded the main contract for {Town}'s {project} after a competitive tender.",
        "The contract for the work in {Town} went to {company}, which beat three other bidders.",
        "{Town} councillors chose {company} to carry out the work.",
    ),
    "count": (
        "Once complete, {Town}'s {project} is designed to {verb} {count} {unit}.",
        "Officers say the {project} in {Town} will {verb} {count} {unit} when it is finished.",
        "According to {Town} Council's own figures, it will {verb} {count} {unit}.",
    ),
    "budget": (
        "{Town}'s {project} is budgeted at £{budget} million, funded partly by a regional growth grant.",
        "The total cost of the work in {Town} is put at £{budget} million.",
        "{Town} councillors signed off a budget of £{budget} million for the work.",
    ),
    "date": (
        "Work in {Town} is expected to be completed by {date}.",
        "The council hopes to open {Town}'s new {project} in {date}.",
        "Completion of the {project} in {Town} is scheduled for {date}, subject to the weather.",
    ),
}
NAMED_SHARE = 0.5  # of the fact sentences name the town
LEDES = (
    "{Town} Council has approved plans for a {project}, ending more than a year of consultation.",
    "Plans for a {project} in {Town} were approved at a meeting of the full council on {weekday}.",
    "A long-awaited {project} for {Town} moved a step closer this week after councillors backed the plans.",
)
FILLER = (
    "Residents who attended the meeting at {venue} raised concerns about {concern}.",
    "A spokesperson for {group} said members were broadly supportive but wanted more detail.",
    "The proposals were first published last spring and drew {small} written responses.",
    'Councillor {person} said the decision was "the right one for the next generation".',
    "Opposition members questioned whether the timetable was realistic.",
    "Temporary traffic lights are expected on {street} while the site is prepared.",
    "The council said it would publish a detailed construction plan in the coming weeks.",
    "Several speakers at {venue} asked how local firms could bid for sub-contracts.",
    "A petition calling for a review of the plans gathered {small} signatures.",
    "Officers said the design had been changed twice in response to feedback.",
    "{person}, who runs a shop on {street}, said trade had already suffered from earlier roadworks.",
    "The planning committee voted {small2} to {small3} in favour after a two-hour debate.",
    "Environmental surveys found no protected species on the site, the report said.",
    "The authority has faced criticism over delays to previous projects in the area.",
    "A public exhibition of the final designs will be held at {venue} next month.",
    "Members of {group} said they would monitor progress closely.",
    "The local MP welcomed the decision and praised the council's persistence.",
    "Some residents on {street} said they had not been consulted directly.",
    "The council's cabinet member for regeneration described it as a turning point for the area.",
    "Council officers said about {pct} per cent of respondents supported the plans.",
    "Questions were also raised about long-term maintenance costs.",
    "A further report on {concern} is due before the next full council meeting.",
    "{person} of {group} said the community wanted to see work start quickly.",
    "The scheme forms part of a wider plan to attract investment to the district.",
    "Access to {street} will be maintained for residents throughout the works.",
    "The meeting at {venue} was adjourned briefly after a fire alarm.",
    "Campaigners said they would keep pressing for changes to the design.",
    "An earlier version of the plans was withdrawn in {year} after objections about {concern}.",
    "The council's finance officer warned that inflation could still affect the final bill.",
    "Local schools will be invited to visit the site once work is under way.",
    "{person} told the committee that lessons had been learned from the last major project.",
    "Some {small} letters of objection were received during the formal consultation.",
    "The leader of the council said the plans showed the town was open for investment.",
    "Bus routes along {street} may be diverted for several weeks.",
    "Work on site will be limited to weekdays between 8am and 6pm.",
    "Representatives of {group} met officers on {weekday} to discuss the timetable.",
    "A community liaison officer will be appointed to handle complaints.",
    "The scheme was shortlisted for national funding in {year} but missed out.",
    "Officers said the site had been used as a car park for more than {small2} decades.",
    "Questions about {concern} dominated the public session at {venue}.",
)
DISTRACTORS = (
    "Neighbouring {Other} approved a {project2} last year, designed to {verb2} about {near_count} {unit2}.",
    "In {Other}, a comparable scheme led by {person2} was costed at £{near_budget} million.",
    "The {project2} in {Other} is not due to finish until {near_date}.",
    "A bid by {company2} for work in {Other} was rejected earlier this year.",
    "Figures from {Other} suggest projects of this size often run over budget by {pct} per cent.",
)
QUESTIONS = {
    "who": ("Who is leading the {project} in {Town}?", "Which council officer oversees {Town}'s {project}?"),
    "company": (
        "Which company won the contract for the {project} in {Town}?",
        "Who is the main contractor on {Town}'s {project}?",
    ),
    "count": ("How many {unit} will the {project} in {Town} {verb}?",),
    "budget": ("How much is the {project} in {Town} expected to cost?", "What is the budget for {Town}'s {project}?"),
    "date": ("When is the {project} in {Town} due to be completed?", "By when should {Town}'s {project} be finished?"),
}
PROJECT_BY_NAME = {p[0]: p for p in PROJECTS}
FURNITURE = ("Share this article", "Advertisement", "Sign up to our free daily newsletter")
