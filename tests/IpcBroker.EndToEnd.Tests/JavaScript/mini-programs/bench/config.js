module.exports = { calls: 0 };
