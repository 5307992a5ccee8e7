/**
 * The ~300 most common surnames in England and Wales with their approximate share of the population,
 * in people per 10,000. Source of the figures: the published leading-surname tables for England and
 * Wales (ONS/General Register Office and electoral-register counts, 1984–1997, as collected in the
 * Guild of One-Name Studies' comparative table), rounded; names that rose since (Patel, Khan, Singh,
 * Begum, Hussain, Ali, Ahmed, Kaur, Nowak…) are added at shares consistent with ONS 2010s counts.
 * These are facts about names, not code; weights are relative, so rounding does no harm.
 */
export const SURNAMES = `
Smith 133, Jones 99, Williams 68, Brown 62, Taylor 59, Davies 51, Wilson 44, Evans 43, Thomas 39, Roberts 36,
Johnson 32, White 32, Wright 31, Robinson 29, Thompson 29, Walker 29, Edwards 29, Hall 29, Wood 28, Harris 28,
Hughes 28, Green 27, Lewis 27, Clarke 26, Jackson 26, Patel 25, Turner 25, Martin 24, Cooper 24, Hill 24,
Ward 23, Morris 23, Moore 23, Clark 22, King 22, Lee 22, Baker 21, Harrison 21, Morgan 21, Allen 20,
James 20, Scott 19, Phillips 19, Watson 19, Davis 18, Parker 18, Price 18, Bennett 18, Young 17, Griffiths 17,
Mitchell 17, Kelly 17, Cook 16, Carter 16, Richardson 16, Bailey 16, Collins 16, Bell 15, Shaw 15, Murphy 15,
Miller 15, Cox 15, Richards 15, Khan 15, Marshall 14, Anderson 14, Simpson 14, Ellis 14, Adams 14, Singh 14,
Begum 13, Wilkinson 13, Foster 13, Chapman 13, Powell 13, Webb 13, Rogers 13, Gray 13, Mason 13, Ali 13,
Hunt 12, Hussain 12, Campbell 12, Matthews 12, Owen 12, Palmer 12, Holmes 12, Mills 12, Barnes 12, Knight 12,
Lloyd 12, Butler 12, Russell 11, Barker 11, Fisher 11, Stevens 11, Jenkins 11, Murray 11, Dixon 11, Harvey 11,
Graham 11, Pearson 11, Ahmed 11, Fletcher 11, Walsh 10, Kaur 10, Gibson 10, Howard 10, Andrews 10, Stewart 10,
Elliott 10, Reynolds 10, Saunders 10, Payne 10, Fox 10, Ford 10, Pearce 10, Day 10, Brooks 10, West 10,
Lawrence 9, Cole 9, Atkinson 9, Bradley 9, Spencer 9, Gill 9, Dawson 9, Ball 9, Burton 9, O'Brien 9,
Watts 9, Rose 9, Booth 9, Perry 9, Ryan 9, Grant 9, Wells 9, Armstrong 9, Francis 9, Rees 9,
Hayes 8, Hart 8, Hudson 8, Newman 8, Barrett 8, Webster 8, Hunter 8, Gregory 8, Carr 8, Lowe 8,
Page 8, Marsh 8, Riley 8, Dunn 8, Woods 8, Parsons 8, Berry 8, Stone 8, Reid 8, Holland 8,
Hawkins 8, Harding 8, Porter 8, Robertson 8, Newton 8, Oliver 8, Reed 8, Kennedy 8, Williamson 8, Bird 8,
Gardner 7, Shah 7, Dean 7, Lane 7, Cooke 7, Bates 7, Henderson 7, Parry 7, Burgess 7, Bishop 7,
Walton 7, Burns 7, Nicholson 7, Shepherd 7, Ross 7, Cross 7, Long 7, Freeman 7, Warren 7, Nicholls 7,
Hamilton 7, Byrne 7, Sutton 7, McDonald 7, Yates 7, Hodgson 7, Robson 7, Curtis 7, Hopkins 7, O'Connor 7,
Harper 6, Coleman 6, Watkins 6, Moss 6, McCarthy 6, Chambers 6, O'Neill 6, Griffin 6, Sharp 6, Hardy 6,
Wheeler 6, Potter 6, Osborne 6, Johnston 6, Gordon 6, Doyle 6, Wallace 6, George 6, Jordan 6, Hutchinson 6,
Rahman 6, Miah 6, Barber 6, Howe 6, Black 6, Lamb 6, Hughes-Jones 1, Fuller 6, Thornton 6, Steele 6,
Lynch 5, Brennan 5, Sanders 5, Quinn 5, Arnold 5, Fraser 5, Frost 5, Bolton 5, Stephens 5, Read 5,
Todd 5, Hobbs 5, Connolly 5, Ahmad 5, Mahmood 5, Iqbal 5, Akhtar 5, Mistry 4, Sharma 4, Kumar 4,
Chowdhury 4, Islam 4, Uddin 4, Nowak 3, Kowalski 2, Wisniewski 2, Nguyen 3, Chen 3, Wang 3, Li 3,
Okafor 2, Adeyemi 2, Mensah 2, Okoro 2, Mohamed 3, Abdi 2, Farah 2, Yilmaz 2, Silva 2, Santos 2,
Ferreira 2, Costa 2, Papadopoulos 1, Rossi 2, Murphy-Smith 1, Llewellyn 4, Pritchard 5, Vaughan 4, Bowen 4, Jarvis 5,
Tucker 5, Sykes 4, Haigh 3, Crowther 3, Ackroyd 2, Greenwood 5, Whitehead 5, Barlow 5, Hargreaves 4, Cartwright 4
`;
