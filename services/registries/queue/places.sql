-- The queues the register starts with: the kindergartens and the districts' common
-- queues of the two regions whose catalogue has the kindergarten-queue service
-- (Atyrau 230000000, seed 001; Kyzylorda 430000000, seed 004). Applied at every
-- start; a queue already there keeps its numbers and places. Places are released
-- with `egovctl queue release` (docs/queue.md).
INSERT INTO queue (code, region, name, kind) VALUES
    ('230000000-D01', '230000000', 'Атырау қаласы (аудандық кезек)', 'district'),
    ('230000000-D02', '230000000', 'Жылыой ауданы (аудандық кезек)', 'district'),
    ('230000000-D03', '230000000', 'Махамбет ауданы (аудандық кезек)', 'district'),
    ('230000000-K001', '230000000', '«Балбөбек» бөбекжайы, Атырау қ.', 'kindergarten'),
    ('230000000-K002', '230000000', '«Айгөлек» балабақшасы, Атырау қ.', 'kindergarten'),
    ('230000000-K003', '230000000', '«Ақбота» балабақшасы, Құлсары қ.', 'kindergarten'),
    ('430000000-D01', '430000000', 'Қызылорда қаласы (аудандық кезек)', 'district'),
    ('430000000-D02', '430000000', 'Шиелі ауданы (аудандық кезек)', 'district'),
    ('430000000-D03', '430000000', 'Арал ауданы (аудандық кезек)', 'district'),
    ('430000000-K001', '430000000', '«Құлыншақ» балабақшасы, Қызылорда қ.', 'kindergarten'),
    ('430000000-K002', '430000000', '«Нұрсәт» бөбекжайы, Қызылорда қ.', 'kindergarten'),
    ('430000000-K003', '430000000', '«Шұғыла» балабақшасы, Арал қ.', 'kindergarten')
ON CONFLICT (code) DO NOTHING;
