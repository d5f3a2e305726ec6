"""Common passwords (8 characters or more: shorter ones are refused for their length anyway), lower-cased.

Compiled from the most frequent entries of public leaked-password frequency lists. Read lazily: only signup
imports this module.
"""

from __future__ import annotations

_WORDS = """
12345678 123456789 1234567890 12345678910 password password1 password12 password123 password1234 passw0rd
p@ssw0rd p@ssword pa55word pa55w0rd qwerty123 qwertyuiop qwerty12 qwerty1234 qwertyui 1q2w3e4r
1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx 1qaz2wsx3edc zaq12wsx zaq1zaq1 qazwsxedc qazwsx123 q1w2e3r4 q1w2e3r4t5
q1w2e3r4t5y6 asdfghjkl asdfghjk asdfasdf asdf1234 zxcvbnm1 zxcvbnm123 zxcvbnma 11111111 111111111
1111111111 00000000 000000000 0000000000 22222222 33333333 44444444 55555555 66666666 77777777
88888888 99999999 12341234 12344321 87654321 98765432 987654321 9876543210 11223344 12121212
13131313 123123123 123321123 147258369 159357456 159753123 741852963 789456123 123456789a 123456789q
12345678a 12345678q 1234567a abcd1234 abc12345 abcdefgh abcdefg1 abcdef123 a1234567 a12345678
aa123456 aaaaaaaa iloveyou iloveyou1 iloveyou2 iloveu123 loveyou1 sunshine sunshine1 football
football1 baseball baseball1 basketball princess princess1 welcome1 welcome123 trustno1 superman
superman1 batman123 michelle jennifer jessica1 jordan23 liverpool liverpool1 chelsea1 arsenal1
manchester manutd123 starwars starwars1 whatever whatever1 computer computer1 corvette mercedes
blink182 internet samantha maverick danielle 1password letmein1 letmein123 changeme changeme1
changeme123 secret123 mypassword mypassword1 password! password01 password2 password3 passwords administrator
admin123 admin1234 adminadmin administrator1 root1234 toor1234 test1234 test12345 testtest testing1
testing123 guest123 default1 user1234 login123 welcome! hello123 hello1234 helloworld hellokitty
monkey123 dragon123 dragon12 master123 master12 shadow123 mustang1 michael1 charlie1 charlie123
jordan123 thomas123 robert123 daniel123 hannah123 ashley123 nicole123 jessica123 andrew123 matthew1
joshua123 anthony1 chocolate chocolate1 butterfly butterfly1 fuckyou1 fuckyou123 babygirl babygirl1
lovely123 lovelove loveme123 iloveme1 angel123 angels123 flower123 sweetheart sweetie1 beautiful
beautiful1 pokemon123 minecraft minecraft1 fortnite1 playstation playstation1 xbox3601 nintendo1 spiderman
spiderman1 ironman1 starwars123 harrypotter pakistan123 india123 bangladesh qwerty1! qwerty12345 qwertyuiop1
asdfghjkl1 zxcvbnm12 password#1 football123 soccer123 hockey123 tennis123 golfer123 yankees1 cowboys1
steelers1 eagles123 lakers123 jesus123 jesuschrist blessed1 godisgood trinity1 princess123 superstar
rockstar1 rockyou1 summer2020 summer2021 summer2022 summer2023 summer2024 winter2020 winter2021 winter2022
winter2023 spring2023 autumn2023 january1 february march2023 september october1 november december
monday123 friday123 sunday123 12qwaszx 1qazxsw2 2wsx3edc 3edc4rfv 4rfv5tgb asdf;lkj qwer1234
qwerasdf qweasdzxc qweqweqwe qwe123qwe asd123asd zxc123zxc 123qweasd 123qweasdzxc 1234qwer 123abc123
abc123abc 159951159 753951852 963852741 147852369 1234abcd 12345abc 123456abc 12345qwert 123456qwe
123456qwerty 7777777a 88888888a a1b2c3d4 a1s2d3f4 z1x2c3v4 iloveyou! letmein! welcome2 welcome01
sunshine123 freedom1 freedom123 whatever! nothing1 secret12 secret1234 private1 personal1 bloom123
bloombloom chayn123 mybloom1 abuse123 survivor survivor1 therapy1 firebase1 google123 facebook1
facebook123 instagram instagram1 twitter1 linkedin1 yahoo123 hotmail1 gmail123 samsung1 samsung123
iphone123 apple123 microsoft windows1 windows10 linux123 ubuntu123 computer12 laptop123
"""
COMMON_PASSWORDS: frozenset[str] = frozenset(_WORDS.split())
