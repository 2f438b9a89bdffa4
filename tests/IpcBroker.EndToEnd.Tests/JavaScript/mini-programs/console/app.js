// One line per console level; the host logs each under its own category at the level's log level.
App({
  onLaunch: function () {
    console.log('console: at log', 42);
    console.info('console: at info');
    console.warn('console: at warn');
    console.error('console: at error');
    console.debug('console: at debug');
  }
});
