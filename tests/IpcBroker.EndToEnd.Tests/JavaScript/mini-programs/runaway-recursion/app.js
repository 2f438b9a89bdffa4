// Recursion without end.
function down(n) {
  return down(n + 1) + 1;
}

App({
  onLaunch: function () {
    setTimeout(function () {
      console.log('runaway-recursion: recursing');
      down(0);
    }, 20);
  }
});
