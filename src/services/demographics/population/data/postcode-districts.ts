/**
 * Real postcode districts (outward codes) of England and Wales with their post town and county,
 * and a rough relative weight for how many people live there (cities weigh more). Facts from the
 * Royal Mail postcode-district list (as published in ONS's postcode directory), not code. The
 * inward part (sector digit and unit letters) is generated, so full postcodes look real but are
 * not guaranteed to exist.
 */
export interface PostcodeDistrict {
  outward: string;
  town: string;
  county: string;
  weight: number;
}

/** "outward town|county|weight; …", one post town per line, its districts listed before the town. */
const TABLE = `
E1 E2 E3 E5 E6 E8 E10 E11 E13 E14 E15 E17 N1 N4 N7 N8 N9 N15 N17 N18 N22 NW1 NW2 NW3 NW5 NW6 NW9 NW10 SE1 SE4 SE5 SE6 SE8 SE9 SE10 SE13 SE15 SE18 SE19 SE22 SE23 SE25 SE28 SW2 SW4 SW6 SW9 SW11 SW12 SW15 SW16 SW17 SW18 SW19 W2 W3 W4 W5 W6 W9 W10 W11 W12 W13 W14|London|Greater London|3
CR0 CR2 CR4 CR7|Croydon|Greater London|2
RM1 RM3 RM7|Romford|Greater London|2
IG1 IG2 IG3|Ilford|Greater London|2
HA0 HA1 HA2 HA3|Harrow|Greater London|2
EN1 EN2 EN3|Enfield|Greater London|2
BR1 BR2 BR3|Bromley|Greater London|2
TW3 TW4 TW5|Hounslow|Greater London|2
UB1 UB2 UB4 UB5|Southall|Greater London|1
B5 B6 B8 B9 B10 B11 B12 B13 B14 B15 B16 B17 B19 B20 B21 B23 B24 B26 B27 B28 B29 B30 B31 B32 B33 B34 B36 B38 B42 B44|Birmingham|West Midlands|3
CV1 CV2 CV3 CV4 CV5 CV6|Coventry|West Midlands|3
WV1 WV2 WV3 WV4 WV6 WV10 WV11 WV14|Wolverhampton|West Midlands|2
WS1 WS2 WS3 WS5|Walsall|West Midlands|2
DY1 DY2 DY3|Dudley|West Midlands|2
M4 M8 M9 M11 M12 M13 M14 M15 M16 M18 M19 M20 M21 M22 M23 M40|Manchester|Greater Manchester|3
BL1 BL2 BL3|Bolton|Greater Manchester|2
SK1 SK2 SK3 SK4 SK5|Stockport|Greater Manchester|2
OL1 OL4 OL8 OL9|Oldham|Greater Manchester|2
WN1 WN2 WN3 WN5 WN6|Wigan|Greater Manchester|2
LS1 LS2 LS4 LS5 LS6 LS7 LS8 LS9 LS10 LS11 LS12 LS13 LS14 LS15 LS16 LS17 LS18 LS25 LS26 LS27 LS28|Leeds|West Yorkshire|3
BD1 BD2 BD3 BD4 BD5 BD6 BD7 BD8 BD9 BD10|Bradford|West Yorkshire|3
HD1 HD2 HD3 HD4 HD5|Huddersfield|West Yorkshire|2
WF1 WF2 WF3 WF4|Wakefield|West Yorkshire|2
HX1 HX2 HX3|Halifax|West Yorkshire|2
S1 S2 S3 S5 S6 S7 S8 S9 S10 S11 S12 S13 S14 S17 S20|Sheffield|South Yorkshire|3
DN1 DN2 DN4 DN5|Doncaster|South Yorkshire|2
S60 S61 S65 S66|Rotherham|South Yorkshire|2
HU1 HU3 HU5 HU6 HU7 HU8 HU9|Hull|East Yorkshire|2
YO1 YO10 YO24 YO26 YO30 YO31|York|North Yorkshire|2
HG1 HG2|Harrogate|North Yorkshire|1
L1 L4 L6 L7 L8 L9 L11 L12 L13 L15 L17 L18 L19 L25|Liverpool|Merseyside|3
CH41 CH42 CH43 CH44|Birkenhead|Merseyside|2
PR1 PR2 PR4 PR5|Preston|Lancashire|2
FY1 FY2 FY3 FY4|Blackpool|Lancashire|2
BB1 BB2|Blackburn|Lancashire|2
LA1 LA3|Lancaster|Lancashire|1
WA1 WA2 WA4 WA5|Warrington|Cheshire|2
CH1 CH2 CH3|Chester|Cheshire|1
NE1 NE2 NE3 NE4 NE5 NE6 NE7 NE12 NE15|Newcastle upon Tyne|Tyne and Wear|3
SR1 SR2 SR3 SR4 SR5|Sunderland|Tyne and Wear|2
TS1 TS3 TS4 TS5 TS7|Middlesbrough|North Yorkshire|2
DH1 DH7|Durham|County Durham|1
DL1 DL3|Darlington|County Durham|1
CA1 CA2|Carlisle|Cumbria|1
NG1 NG2 NG3 NG5 NG6 NG7 NG8 NG9 NG11|Nottingham|Nottinghamshire|3
DE1 DE3 DE21 DE22 DE23 DE24|Derby|Derbyshire|2
LE1 LE2 LE3 LE4 LE5 LE18|Leicester|Leicestershire|3
LN1 LN2 LN6|Lincoln|Lincolnshire|1
NN1 NN2 NN3 NN5|Northampton|Northamptonshire|2
ST1 ST3 ST4 ST6|Stoke-on-Trent|Staffordshire|2
TF1 TF2 TF3|Telford|Shropshire|1
SY1 SY2 SY3|Shrewsbury|Shropshire|1
WR1 WR2 WR4|Worcester|Worcestershire|1
HR1 HR2|Hereford|Herefordshire|1
BS1 BS2 BS3 BS4 BS5 BS6 BS7 BS9 BS10 BS13 BS14 BS15 BS16|Bristol|Bristol|3
BA1 BA2|Bath|Somerset|1
TA1 TA2|Taunton|Somerset|1
GL1 GL2 GL4|Gloucester|Gloucestershire|1
GL50 GL51 GL52|Cheltenham|Gloucestershire|1
SN1 SN2 SN3 SN5 SN25|Swindon|Wiltshire|2
SP1 SP2|Salisbury|Wiltshire|1
PL1 PL2 PL3 PL4 PL5 PL6 PL7|Plymouth|Devon|2
EX1 EX2 EX4|Exeter|Devon|2
TR1|Truro|Cornwall|1
BH1 BH6 BH7 BH8|Bournemouth|Dorset|2
SO14 SO15 SO16 SO17 SO18 SO19|Southampton|Hampshire|2
PO1 PO2 PO3 PO4 PO6|Portsmouth|Hampshire|2
RG1 RG2 RG4 RG6 RG30 RG31|Reading|Berkshire|2
SL1 SL2 SL3|Slough|Berkshire|1
OX1 OX2 OX3 OX4|Oxford|Oxfordshire|2
MK1 MK2 MK3 MK4 MK5 MK6|Milton Keynes|Buckinghamshire|2
HP11 HP12 HP13|High Wycombe|Buckinghamshire|1
LU1 LU2 LU3 LU4|Luton|Bedfordshire|2
MK40 MK41 MK42|Bedford|Bedfordshire|1
AL1 AL3 AL4|St Albans|Hertfordshire|1
WD17 WD18 WD24 WD25|Watford|Hertfordshire|1
SG1 SG2|Stevenage|Hertfordshire|1
CB1 CB2 CB4 CB5|Cambridge|Cambridgeshire|2
PE1 PE2 PE3 PE4|Peterborough|Cambridgeshire|2
NR1 NR2 NR3 NR4 NR5 NR6 NR7|Norwich|Norfolk|2
IP1 IP2 IP3 IP4|Ipswich|Suffolk|2
CO1 CO2 CO3 CO4|Colchester|Essex|2
CM1 CM2|Chelmsford|Essex|1
SS1 SS2 SS9|Southend-on-Sea|Essex|2
CT1 CT2|Canterbury|Kent|1
ME14 ME15 ME16|Maidstone|Kent|1
DA1 DA2|Dartford|Kent|1
TN1 TN2 TN4|Tunbridge Wells|Kent|1
GU1 GU2 GU4|Guildford|Surrey|1
RH10 RH11|Crawley|West Sussex|1
BN1 BN2 BN3|Brighton|East Sussex|2
CF3 CF5 CF10 CF11 CF14 CF23 CF24|Cardiff|South Glamorgan|3
SA1 SA2 SA5 SA6|Swansea|West Glamorgan|2
NP19 NP20|Newport|Gwent|2
LL11 LL12 LL13|Wrexham|Clwyd|1
LL57|Bangor|Gwynedd|1
LL30|Llandudno|Gwynedd|1
SY23|Aberystwyth|Dyfed|1
`;

export const POSTCODE_DISTRICTS: readonly PostcodeDistrict[] = TABLE.trim().split('\n').flatMap((line) => {
  const [outwards, town, county, weight] = line.split('|');
  return outwards!.split(' ').map((outward) => ({ outward, town: town!, county: county!, weight: Number(weight) }));
});
