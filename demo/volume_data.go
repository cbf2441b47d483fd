package demo

// Vocabulary of the volume data set: Moroccan companies, cities and people, industrial equipment,
// and the words of work orders and reports. Everything is picked from these lists by the seeded
// generator, so the same seed gives the same installation.

var villes = []string{
	"Casablanca", "Rabat", "Tanger", "Fès", "Meknès", "Marrakech", "Agadir", "Oujda", "Kénitra",
	"Tétouan", "Safi", "El Jadida", "Nador", "Béni Mellal", "Settat", "Mohammedia", "Berrechid",
	"Khouribga", "Laâyoune", "Taza", "Larache", "Essaouira",
}

var zonesIndustrielles = []string{
	"Zone industrielle", "Parc industriel", "Quartier industriel", "Zone d'activités", "Technopole",
}

var secteurs = []string{
	"Cimenterie", "Laiterie", "Conserverie", "Huilerie", "Minoterie", "Sucrerie", "Papeterie",
	"Textiles", "Plasturgie", "Câblerie", "Fonderie", "Verrerie", "Brasserie", "Biscuiterie",
	"Tannerie", "Briqueterie", "Chocolaterie", "Savonnerie", "Emballages", "Aciérie",
	"Mécanique", "Frigorifique", "Pharmacie industrielle", "Boulonnerie",
}

var enseignes = []string{
	"de l'Atlas", "du Rif", "de l'Oriental", "du Gharb", "du Saïss", "de la Chaouia",
	"des Doukkala", "du Tadla", "du Haouz", "du Tensift", "de la Moulouya", "du Sebou",
	"de l'Oum Er-Rbia", "du Drâa", "du Tafilalet", "Al Maghrib", "Al Amal", "Nour", "Anfa",
	"Zenata", "Bouregreg", "Ifrane", "Al Wifaq", "Al Baraka", "Tingis", "Volubilis", "Mogador",
	"Assafi", "Chifaa", "Al Massira",
}

var formesJuridiques = []string{"SA", "SARL", "", "", "SARL AU"}

var prenoms = []string{
	"Youssef", "Mohamed", "Ahmed", "Hicham", "Karim", "Rachid", "Saïd", "Omar", "Hamza", "Mehdi",
	"Amine", "Anas", "Ayoub", "Yassine", "Khalid", "Abdelilah", "Nabil", "Adil", "Tarik", "Reda",
	"Ilyas", "Othmane", "Zakaria", "Soufiane", "Fatima", "Khadija", "Salma", "Nadia", "Meryem",
	"Imane", "Sanaa", "Hind", "Loubna", "Zineb", "Houda", "Asmae", "Ghita", "Samira", "Latifa",
	"Naïma",
}

var noms = []string{
	"Alaoui", "Bennani", "El Amrani", "Tazi", "Idrissi", "Berrada", "Fassi", "Chraibi",
	"Benjelloun", "Lahlou", "Sqalli", "Kettani", "Bouazza", "Ouazzani", "Naciri", "Benkirane",
	"Tahiri", "Zniber", "Lamrani", "Aït Ouahmane", "Amzil", "Boukhari", "Cherkaoui", "Daoudi",
	"El Khattabi", "Filali", "Guessous", "Hajji", "Kabbaj", "Laraki", "Mansouri", "Benslimane",
	"Rami", "Saadi", "Talbi", "Ziani", "Ouali", "Hamdaoui", "Bakkali", "Sebti",
}

// competencesVolume completes the demo skills catalogue.
var competencesVolume = []struct{ nom, categorie string }{
	{"Mécanique générale", "Mécanique"}, {"Instrumentation", "Électrique"}, {"Chaudronnerie", "Mécanique"},
	{"Thermique", "Thermique"},
}

// typesEquipement are the kinds of machine; the first ones have competence rules
// (migration 00030), the others accept any technicien.
var typesEquipement = []struct {
	typ, code  string
	noms       []string
	modeles    []string
	specialite string
}{
	{"Presse", "PH", []string{"Presse hydraulique", "Presse à découper", "Presse plieuse"}, []string{"HPX-2000", "Schuler MSD 400", "Amada HFE 100"}, "Hydraulique"},
	{"Broyeur", "BB", []string{"Broyeur à boulets", "Broyeur à marteaux", "Concasseur"}, []string{"FLS-UMS", "Loesche LM 46", "Metso HP300"}, "Mécanique générale"},
	{"Compresseur", "CA", []string{"Compresseur d'air", "Compresseur à vis", "Surpresseur"}, []string{"Atlas Copco GA55", "Kaeser ASD 40", "Ingersoll Rand R37"}, "Pneumatique"},
	{"Cuve réfrigérée", "TL", []string{"Tank à lait", "Cuve de stockage réfrigérée"}, []string{"Serap 10000L", "Packo RM/2 8000L"}, "Froid industriel"},
	{"Pasteurisateur", "PS", []string{"Pasteurisateur", "Stérilisateur UHT"}, []string{"Tetra Therm Lacta", "GEA Pasteurizer 20"}, "Froid industriel"},
	{"Armoire électrique", "AE", []string{"Armoire électrique", "TGBT", "Armoire de commande"}, []string{"Schneider Prisma P", "Legrand XL3 4000"}, "Électricité industrielle"},
	{"Automate", "AP", []string{"Automate programmable", "Poste de supervision"}, []string{"Siemens S7-1500", "Schneider M580", "Allen-Bradley CompactLogix"}, "Automatisme"},
	{"Convoyeur", "CV", []string{"Convoyeur à bande", "Élévateur à godets", "Convoyeur à rouleaux"}, []string{"Interroll RM 8000", "Rulmeca BL-1200"}, "Mécanique générale"},
	{"Pompe", "PO", []string{"Pompe centrifuge", "Pompe doseuse", "Pompe de relevage"}, []string{"Grundfos CR 32", "KSB Etanorm 80", "Wilo Helix V"}, "Hydraulique"},
	{"Chaudière", "CH", []string{"Chaudière vapeur", "Générateur d'eau chaude"}, []string{"Bosch UL-S 5000", "Viessmann Vitomax 200"}, "Thermique"},
	{"Groupe électrogène", "GE", []string{"Groupe électrogène", "Groupe de secours"}, []string{"Caterpillar C18", "SDMO X550"}, "Électricité industrielle"},
	{"Four industriel", "FO", []string{"Four de cuisson", "Four tunnel", "Four de traitement thermique"}, []string{"Nabertherm N 2200", "Riedhammer TK 120"}, "Thermique"},
	{"Chariot élévateur", "CE", []string{"Chariot élévateur", "Transpalette électrique"}, []string{"Toyota 8FBE20", "Linde E25"}, "Mécanique générale"},
	{"Centrale de traitement d'air", "CT", []string{"Centrale de traitement d'air", "Groupe froid"}, []string{"Carrier 39HQ", "Daikin EWAD-TZ"}, "Froid industriel"},
	{"Tour CNC", "TC", []string{"Tour CNC", "Centre d'usinage"}, []string{"DMG Mori CLX 450", "Haas ST-20"}, "Automatisme"},
}

var localisations = []string{
	"Atelier A", "Atelier B", "Atelier C", "Ligne 1", "Ligne 2", "Ligne 3", "Local technique",
	"Chaufferie", "Salle de réception", "Quai de chargement", "Magasin", "Salle des compresseurs",
	"Zone de conditionnement", "Poste de transformation",
}

var frequences = []int{30, 45, 60, 90, 180}

var niveaux = []string{"junior", "confirme", "confirme", "senior", "expert"}

// Work-order wording per kind of work.
var pannes = []struct{ titre, description string }{
	{"Fuite hydraulique", "Fuite détectée au niveau du circuit principal, flaque sous la machine."},
	{"Arrêt intempestif", "La machine s'arrête sans alarme en cours de production."},
	{"Bruit anormal", "Bruit métallique anormal côté transmission, à vérifier rapidement."},
	{"Surchauffe moteur", "Température moteur au-dessus du seuil, déclenchement de la protection thermique."},
	{"Défaut capteur de pression", "Valeur de pression incohérente remontée par la supervision."},
	{"Courroie cassée", "Courroie de transmission rompue, production à l'arrêt."},
	{"Disjoncteur déclenché", "Déclenchement répété du disjoncteur d'alimentation au démarrage."},
	{"Vibrations excessives", "Vibrations fortes ressenties sur le bâti pendant le fonctionnement."},
	{"Perte de pression d'air", "Chute de pression sur le réseau d'air comprimé de l'atelier."},
	{"Température hors consigne", "La température ne se stabilise plus sur la consigne réglée."},
	{"Défaut variateur", "Le variateur de vitesse affiche un code défaut et refuse le démarrage."},
	{"Fuite de fluide frigorigène", "Baisse de performance frigorifique, suspicion de fuite de fluide."},
	{"Alarme niveau bas", "Alarme de niveau bas d'huile récurrente malgré les appoints."},
	{"Blocage mécanique", "Blocage de l'arbre principal, impossible de relancer le cycle."},
}

var predictifs = []struct{ titre, description string }{
	{"Analyse vibratoire", "Mesures vibratoires sur paliers et roulements, comparaison avec la dernière campagne."},
	{"Thermographie infrarouge", "Contrôle thermographique des connexions et des organes en charge."},
	{"Analyse d'huile", "Prélèvement d'huile pour analyse d'usure et de contamination."},
	{"Contrôle par ultrasons", "Recherche de fuites et contrôle des purgeurs par ultrasons."},
}

var rapportsCorrectifs = []string{
	"Remplacement du joint défectueux et essai sous pression : aucune fuite constatée.",
	"Roulement remplacé, alignement contrôlé, vibrations revenues dans les tolérances.",
	"Capteur remplacé et étalonné, valeurs cohérentes avec la supervision.",
	"Nettoyage des contacts et resserrage des connexions, remise en service sans défaut.",
	"Courroie remplacée et tension réglée, essai en charge concluant.",
	"Paramètres du variateur restaurés, cause : microcoupure réseau. Surveillance conseillée.",
	"Recharge en fluide après recherche et réparation de la fuite sur le raccord.",
	"Remplacement du moteur de ventilation, températures normales après deux heures d'essai.",
}

var rapportsPreventifs = []string{
	"Graissage, contrôle des serrages et des sécurités, remplacement des filtres : RAS.",
	"Vidange effectuée, filtres remplacés, niveaux complétés, essais fonctionnels conformes.",
	"Contrôle général selon la gamme de maintenance, usure normale, aucune anomalie.",
	"Nettoyage complet, contrôle électrique et mécanique, pièces d'usure dans les tolérances.",
}

var rapportsPredictifs = []string{
	"Niveaux vibratoires stables, aucune dérive par rapport à la campagne précédente.",
	"Point chaud détecté sur une borne, resserrage effectué, à recontrôler au prochain passage.",
	"Huile conforme, légère présence de particules métalliques, prochain prélèvement avancé.",
}

var motifsAnnulation = []string{
	"Doublon d'une demande déjà ouverte.",
	"Problème résolu par l'opérateur avant intervention.",
	"Équipement remplacé, intervention sans objet.",
	"Demande annulée par le client.",
	"Intervention reportée au prochain arrêt programmé.",
}

var motifsPause = []string{
	"En attente de pièce de rechange.",
	"Arrêt de production demandé par le client.",
	"Attente de consignation électrique.",
	"Attente d'un avis du constructeur.",
}
